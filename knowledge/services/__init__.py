"""Writing the knowledge base: articles, their revisions, review, publishing and images.

Every saved change of an article's text is a `Revision`. Who may do what:

- Any staff member writes: new articles (drafts, which they may send for review) and
  edits of existing ones.
- Knowledge editors (managers, admins, and agents given `knowledge.publish_article`)
  also publish, retire, approve and reject. Their edits of a published article are
  published as they save them.
- An ordinary agent's edit of an article readers already have (published, or retired
  after it was) waits for review: readers keep the published text until an editor
  approves the edit.
- Screenshots: any staff member uploads them. Removing one takes effect at once, so it is
  for those whose edits do: any staff member while readers don't have the article,
  knowledge editors always; and only once no text shows it (see `images.py`).

An article's own title, summary, body and video link are what readers see; for an article
never published they are simply its latest draft. At most one revision of an article waits
for review at a time: an edit made on top of it takes its place (it stays in the history
as a draft step), so the editor approves the newest text, never an outdated one.

Edits carry the revision they were based on (`based_on`): an edit of text that someone
else has changed since is refused with a `ConflictError`, and the form gives the person's
text back, so nothing is silently overwritten and nothing is lost.
"""

from .access import can_publish, require_editor, require_staff
from .images import ImageUse, can_remove_images, image_uses, remove_image, upload_image
from .review import (
    approve_revision,
    publish_article,
    reject_revision,
    retire_article,
    submit_for_review,
)
from .revisions import (
    KEEP,
    MANY_NO_VOTES,
    REVIEWED_STATUSES,
    ConflictError,
    Text,
    needs_review,
    pending_revision,
    working_revision,
)
from .writing import create_article, restore_revision, save_edit

__all__ = [
    "KEEP",
    "MANY_NO_VOTES",
    "REVIEWED_STATUSES",
    "ConflictError",
    "ImageUse",
    "Text",
    "approve_revision",
    "can_publish",
    "can_remove_images",
    "create_article",
    "image_uses",
    "needs_review",
    "pending_revision",
    "publish_article",
    "reject_revision",
    "remove_image",
    "require_editor",
    "require_staff",
    "restore_revision",
    "retire_article",
    "save_edit",
    "submit_for_review",
    "upload_image",
    "working_revision",
]
