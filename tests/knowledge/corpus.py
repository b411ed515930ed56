"""A fixed knowledge base of realistic articles, for the relevance tests.

Twenty-one published articles for everyone over five services, written as a real desk
writes them, plus articles no end user may find: agents-only, a draft, one in review and a
retired one. The synonym groups are the kind an admin keeps.
"""

from __future__ import annotations

from accounts.models import User
from knowledge.models import Article, SynonymGroup, Tag
from tests.factories import ArticleFactory, ServiceFactory, UserFactory

SERVICES = ["Accounts & Access", "Email & Calendar", "Network", "Printing", "Devices & Software"]

SYNONYMS = [
    "wifi, wi-fi, wireless, wlan",
    "pw, password, passcode",
    "mfa, 2fa, two-factor, multi-factor, authenticator",
    "laptop, notebook",
    "monitor, screen, display",
    "email, e-mail, mail",
    "vpn, remote access, globalprotect",
    "sign in, log in, login, logon",
    "shared drive, network drive, file share",
]

# (key, service, title, summary, tags, helpful votes, body)
ARTICLES = [
    (
        "password-reset",
        "Accounts & Access",
        "Reset your password",
        "Forgot your password, or has it expired? Set a new one yourself in a few minutes.",
        ["password", "account"],
        40,
        """Your password expires every 90 days. You can set a new one yourself, any time.

1. Go to **My Account** and choose *Forgot password*.
2. Confirm who you are with the code sent to your phone.
3. Choose a new password of at least 14 characters. Don't reuse an old one.
4. Sign in again on your laptop and phone with the new password.

If the code never arrives, check that your mobile number in My Account is right.""",
    ),
    (
        "outlook-password-prompt",
        "Email & Calendar",
        "Outlook keeps asking for your password",
        "Outlook prompts for your credentials again and again, usually after a password change.",
        ["outlook", "email"],
        25,
        """This happens when Outlook still holds your old password.

1. Close Outlook.
2. Open **Credential Manager** (Windows) or **Keychain Access** (Mac) and remove the entries
   that mention Office or Outlook.
3. Start Outlook again and sign in once with your current password.

If the prompt comes back, make sure your password has not expired.""",
    ),
    (
        "office-wifi",
        "Network",
        "Connect to the office Wi-Fi",
        "Join the staff wireless network, Corp-WLAN, from a laptop or a phone.",
        ["wifi", "network"],
        30,
        """In every office the staff network is called **Corp-WLAN**.

1. Pick Corp-WLAN from the list of networks.
2. Sign in with your work email address and password.
3. Accept the certificate named radius.corp.example.com the first time.

Your device connects on its own from then on. If it does not connect, forget the network
and join it again; after a password change you need to sign in again.""",
    ),
    (
        "guest-wifi",
        "Network",
        "Guest Wi-Fi for visitors",
        "Get a day pass to the guest wireless network for someone visiting the office.",
        ["wifi", "guest"],
        8,
        """Visitors use the **Corp-Guest** network, never the staff one.

1. At reception, ask for a guest pass, or create one in the visitor portal.
2. The visitor joins Corp-Guest and types the code from the pass.

A pass lasts one day. For an event with many visitors, ask the desk a week ahead.""",
    ),
    (
        "vpn-connect",
        "Network",
        "Connect to the VPN from home",
        "Use the GlobalProtect VPN to reach internal systems when you work remotely.",
        ["vpn", "remote"],
        22,
        """You need the VPN for the intranet, the shared drives and the finance system.

1. Open **GlobalProtect** from the system tray (Windows) or menu bar (Mac).
2. Enter the portal address vpn.example.com and sign in.
3. Approve the request in your authenticator app.

Email, Teams and OneDrive work without the VPN.""",
    ),
    (
        "vpn-drops",
        "Network",
        "VPN disconnects every few minutes",
        "Fix a VPN connection that keeps dropping and reconnecting.",
        ["vpn"],
        12,
        """A connection that drops every few minutes is usually the home router or a weak signal.

1. Move closer to the router, or use a network cable.
2. Switch GlobalProtect to the *Best available* gateway.
3. Restart your router.
4. Update GlobalProtect from the Company Portal.

If it still disconnects, note the times and tell us which gateway you used.""",
    ),
    (
        "printer-offline",
        "Printing",
        "Printer shows as offline",
        "Bring a network printer back online when your print jobs are stuck in the queue.",
        ["printer", "printing"],
        18,
        """When a printer shows as offline, your documents wait in the queue.

1. Check that the printer is switched on and shows no error on its panel.
2. On your laptop, open the print queue and cancel the stuck jobs.
3. Remove the printer and add it again from the list of floor printers.

The floor printers are named after their location, like PRN-3-EAST.""",
    ),
    (
        "add-printer",
        "Printing",
        "Add a printer on Windows or Mac",
        "Install one of the floor printers so you can print from your laptop.",
        ["printer"],
        15,
        """1. On Windows open **Settings > Printers & scanners > Add device**; on a Mac open
   **System Settings > Printers & Scanners** and click *Add*.
2. Choose the printer named after your floor, like PRN-2-WEST.
3. Print a test page.

Printing to the floor printers works in the office only, not over the VPN.""",
    ),
    (
        "paper-jam",
        "Printing",
        "Paper jam in a floor printer",
        "Clear a paper jam safely and get the printer going again.",
        ["printer", "jam"],
        6,
        """1. Open the doors the printer's panel points to.
2. Pull the jammed sheet out slowly, in the direction the paper travels.
3. Close every door; the printer resumes on its own.

Never use tools inside the printer. If the jam keeps coming back, log a ticket with the
printer's name.""",
    ),
    (
        "mfa-setup",
        "Accounts & Access",
        "Set up multi-factor authentication (MFA)",
        "Register the Microsoft Authenticator app on your phone for two-step sign-in.",
        ["mfa", "security"],
        20,
        """Every account needs a second step when you sign in from outside the office.

1. Install **Microsoft Authenticator** on your phone.
2. Go to My Account > Security info and choose *Add sign-in method*.
3. Scan the QR code with the app and approve the test notification.

Add a second method, like a text message, in case you lose the phone.""",
    ),
    (
        "mfa-new-phone",
        "Accounts & Access",
        "Got a new phone? Move your authenticator app",
        "Transfer MFA to your new phone before you wipe or return the old one.",
        ["mfa", "mobile"],
        9,
        """1. Keep the old phone until you finish.
2. Install Microsoft Authenticator on the new phone.
3. In My Account > Security info, add the new phone, then delete the old one.

Lost the old phone already? Call the desk: we confirm who you are and reset your methods.""",
    ),
    (
        "share-calendar",
        "Email & Calendar",
        "Share your Outlook calendar",
        "Let colleagues see when you are free, or give an assistant the right to manage it.",
        ["outlook", "calendar"],
        10,
        """1. In Outlook, open the calendar and choose **Share calendar**.
2. Add the people and pick what they see: free or busy, titles, or everything.
3. To let someone accept meetings for you, give them the *Delegate* permission.

They get an invitation and see your calendar next to theirs.""",
    ),
    (
        "calendar-phone-sync",
        "Email & Calendar",
        "Outlook calendar not syncing on your phone",
        "Meetings missing on your mobile? Make the calendar sync again.",
        ["outlook", "calendar", "mobile"],
        7,
        """1. Use the Outlook app on iPhone and Android; the built-in calendar app may lag.
2. In the Outlook app, open Settings, tap your account and choose *Reset account*.
3. Make sure the phone has background data allowed for Outlook.

New meetings appear within a minute once it syncs.""",
    ),
    (
        "shared-drive-access",
        "Accounts & Access",
        "Request access to a shared drive",
        "Ask for read or write access to a team's shared folder.",
        ["shared drive", "permissions"],
        11,
        """Access to a team's folder is approved by the folder's owner, usually the team lead.

1. Open the access request form in the portal and choose *Shared drive*.
2. Name the folder, like \\\\files\\finance, and pick read or write.
3. The owner approves it; you get access within an hour.

Sign out and in again if the folder does not appear.""",
    ),
    (
        "restore-file",
        "Devices & Software",
        "Restore a deleted file or folder",
        "Get back something you deleted from OneDrive or a shared drive, within 90 days.",
        ["files", "onedrive"],
        14,
        """1. OneDrive: open OneDrive in the browser and go to the **Recycle bin**.
2. Shared drives: right-click the folder, choose *Properties > Previous versions*.
3. Pick the file and choose *Restore*.

Deleted more than 90 days ago? Log a ticket: backups may still hold it.""",
    ),
    (
        "slow-laptop",
        "Devices & Software",
        "Laptop is running slow",
        "Speed up a slow laptop: restart, updates, disk space and startup apps.",
        ["laptop", "performance"],
        16,
        """1. Restart: laptops that sleep for weeks get slow.
2. Install waiting updates from the Company Portal.
3. Free disk space: empty Downloads and the recycle bin.
4. Turn off apps that start with Windows in Task Manager.

Still slow after all that? Tell us the model; it may be due for a replacement.""",
    ),
    (
        "laptop-battery",
        "Devices & Software",
        "Laptop battery drains quickly",
        "Make the battery last a working day, and know when it needs replacing.",
        ["laptop", "battery"],
        5,
        """1. Turn the screen brightness down and close apps you don't use.
2. Choose the *Best battery life* power mode.
3. Check the battery's health in the Company Portal app.

A battery that lasts under two hours when full needs replacing: log a ticket.""",
    ),
    (
        "second-monitor",
        "Devices & Software",
        "Second monitor not detected",
        "Your external screen stays black when you dock the laptop.",
        ["monitor", "docking station"],
        13,
        """1. Check both ends of the cable and that the monitor's input matches (HDMI or
   DisplayPort).
2. Undock, wait ten seconds and dock again.
3. On Windows press Windows+P and choose *Extend*.
4. Update the docking station's firmware from the Company Portal.""",
    ),
    (
        "teams-audio",
        "Email & Calendar",
        "Teams calls drop or have poor audio",
        "Fix choppy sound, echo and dropped calls in Microsoft Teams.",
        ["teams", "audio", "headset"],
        12,
        """1. Use a headset rather than the laptop's speakers: it stops echo.
2. In Teams, open Settings > Devices and pick the headset for both speaker and microphone.
3. Close other video apps and turn off your camera on a weak connection.

If calls drop after ten minutes, restart the router or use a cable.""",
    ),
    (
        "install-software",
        "Devices & Software",
        "Install software from the Company Portal",
        "Install approved apps yourself, without admin rights.",
        ["software", "install"],
        19,
        """1. Open **Company Portal** from the Start menu.
2. Search for the app and choose *Install*.
3. Apps you need that are not listed can be requested from the same page.

You don't need admin rights for anything in the Company Portal.""",
    ),
    (
        "email-bounce",
        "Email & Calendar",
        "Your email to a customer bounced",
        "What a bounce message (NDR) means, and what to do about it.",
        ["email", "bounce"],
        4,
        """A bounce, or non-delivery report, tells you why a message was not delivered.

1. Check the address for typos.
2. *Mailbox full* or *rejected by policy*: the receiving side must act; call the customer.
3. If every message to one company bounces, forward the report to the desk.""",
    ),
]

# What no end user may find, whatever they type.
HIDDEN = [
    (
        "ad-unlock",
        Article.Audience.AGENTS,
        Article.Status.PUBLISHED,
        "Unlock an account in Active Directory",
        "For agents: unlock a locked-out account after checking who is calling.",
        "Open Active Directory Users and Computers, find the account, tick *Unlock account*.",
    ),
    (
        "wifi-draft",
        Article.Audience.EVERYONE,
        Article.Status.DRAFT,
        "Wi-Fi in the new building (draft)",
        "Draft: the wireless network in the new building.",
        "Not finished: the wifi network names are not decided yet.",
    ),
    (
        "password-review",
        Article.Audience.EVERYONE,
        Article.Status.IN_REVIEW,
        "Password rules for 2027",
        "In review: the new password rules.",
        "Passwords will need 16 characters.",
    ),
    (
        "old-vpn",
        Article.Audience.EVERYONE,
        Article.Status.RETIRED,
        "Connect to the old Cisco VPN",
        "Retired: the old VPN client is gone.",
        "Open Cisco AnyConnect and connect to vpn-old.example.com.",
    ),
]


def load() -> dict[str, object]:
    """Create the corpus; returns the articles by key and the services by name."""
    SynonymGroup.objects.all().delete()
    SynonymGroup.objects.bulk_create(SynonymGroup(words=words) for words in SYNONYMS)
    owner = UserFactory.create(role=User.Role.AGENT, email="kb-owner@example.com")
    services = {name: ServiceFactory.create(name=name) for name in SERVICES}
    tags: dict[str, Tag] = {}
    found: dict[str, object] = {"services": services}
    for key, service, title, summary, tag_names, helpful, body in ARTICLES:
        article = ArticleFactory.create(
            slug=key,
            title=title,
            summary=summary,
            body=body,
            owner=owner,
            helpful_count=helpful,
            unhelpful_count=helpful // 5,
            view_count=helpful * 20,
            services=[services[service]],
        )
        article.tags.set(
            tags.setdefault(n, Tag.objects.get_or_create(name=n)[0]) for n in tag_names
        )
        found[key] = article
    for key, audience, status, title, summary, body in HIDDEN:
        found[key] = ArticleFactory.create(
            slug=key,
            title=title,
            summary=summary,
            body=body,
            owner=owner,
            audience=audience,
            status=status,
            helpful_count=100,
        )
    return found
