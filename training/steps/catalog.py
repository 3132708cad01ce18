"""The process catalogue behind the synthetic task-mining sessions.

Each step is a bag of event patterns written as `event[@App]:min-max:prob`
(repeat count and the chance the element appears at all). Steps share
generic events (copy, paste, scroll, type_text...) and some window titles, so
the event name alone does not give the step away: context has to.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTION_TYPES: dict[str, str] = {
    "open_app": "navigation", "switch_window": "navigation", "navigate_url": "navigation",
    "open_email": "click", "open_attachment": "click", "click_button": "click",
    "click_link": "click", "click_cell": "click", "click_save": "click", "click_new": "click",
    "click_approve": "click", "click_reject": "click", "select_dropdown": "click",
    "open_task": "click", "submit_form": "click", "send_email": "click", "new_email": "click",
    "type_text": "keyboard", "type_formula": "keyboard", "tab_key": "keyboard",
    "search": "keyboard", "enter_tcode": "keyboard",
    "copy": "clipboard", "paste": "clipboard",
    "scroll": "mouse", "drag_drop": "mouse",
    "open_file": "file", "save_file": "file", "upload_file": "file", "attach_file": "file",
    "save_attachment": "file", "download_file": "file", "open_folder": "file",
    "send_message": "keyboard", "read_message": "click",
}

# Generic events sprinkled into any step as noise (labelled with the step they occur in).
NOISE_EVENTS = ("scroll", "switch_window", "copy", "paste", "click_button", "type_text")


@dataclass(frozen=True)
class Step:
    name: str
    app: str
    titles: tuple[str, ...]
    pattern: tuple[str, ...]
    optional: float = 0.0        # chance the step is skipped
    loop: float = 0.0            # chance the step is repeated right away
    extensions: tuple[str, ...] = ()
    sharepoint: float = 0.0


@dataclass(frozen=True)
class Process:
    name: str
    steps: tuple[Step, ...]


_INBOX = "Inbox - {user}@corp.com - Outlook"
_CHROME = "New Tab - Google Chrome"

PROCESSES: tuple[Process, ...] = (
    Process("Invoice processing", (
        Step("Open invoice email", "Outlook", (_INBOX, "Invoice {n} from {vendor} - Message"),
             ("open_app:0-1:0.6", "open_email:1-2:1", "scroll:0-3:0.5",
              "open_attachment:1-1:0.9", "open_file@Acrobat:0-1:0.6"), extensions=(".pdf",)),
        Step("Download invoice", "Outlook", ("Invoice {n} from {vendor} - Message",
                                              "Save Attachment", "Downloads - File Explorer"),
             ("save_attachment:1-1:1", "open_folder@Explorer:0-2:0.6", "type_text:0-1:0.5",
              "save_file:1-1:0.9"), optional=0.25, extensions=(".pdf",)),
        Step("Enter invoice data", "SAP", ("SAP Easy Access - FB60 Enter Vendor Invoice",
                                           "Enter Vendor Invoice: Company Code {cc}"),
             ("enter_tcode:0-1:0.7", "type_text:2-8:1", "tab_key:1-6:0.9", "copy@Acrobat:0-3:0.6",
              "paste:0-3:0.6", "select_dropdown:0-2:0.6"), loop=0.1),
        Step("Validate amounts", "Excel", ("Invoice_check_{n}.xlsx - Excel", "Book1 - Excel"),
             ("open_file:0-1:0.8", "click_cell:2-6:1", "type_formula:0-3:0.7", "copy:0-2:0.5",
              "scroll:0-2:0.4"), optional=0.3, extensions=(".xlsx", ".csv")),
        Step("Query vendor", "Outlook", ("RE: Invoice {n} - {vendor} - Message", _INBOX),
             ("new_email:0-1:0.6", "type_text:1-4:1", "paste:0-2:0.5", "attach_file:0-1:0.3",
              "send_email:1-1:1"), optional=0.93, extensions=(".pdf",)),  # rare
        Step("Submit for approval", "SAP", ("Enter Vendor Invoice: Company Code {cc}",
                                            "Park Document - SAP"),
             ("click_button:1-2:1", "type_text:0-2:0.5", "submit_form:1-1:1")),
        Step("Archive invoice", "SharePoint", ("Invoices 20{yy} - SharePoint",
                                               "Upload Document - SharePoint"),
             ("navigate_url@Chrome:0-1:0.7", "upload_file:1-1:1", "drag_drop:0-1:0.3",
              "type_text:0-2:0.6", "click_save:1-1:0.9"), optional=0.2,
             extensions=(".pdf",), sharepoint=1.0),
    )),
    Process("Customer onboarding", (
        Step("Review application", "Outlook", (_INBOX, "Application {n} - {customer} - Message"),
             ("open_email:1-2:1", "open_attachment:0-1:0.8", "open_file@Acrobat:0-1:0.7",
              "scroll:1-4:0.8", "copy:0-2:0.5"), extensions=(".pdf", ".docx")),
        Step("Check credit", "Chrome", ("Credit Check Portal - Google Chrome", _CHROME),
             ("navigate_url:1-1:0.9", "search:1-2:1", "paste:0-1:0.6", "type_text:0-2:0.5",
              "click_link:0-2:0.6", "copy:0-1:0.5"), optional=0.25),
        Step("Request missing documents", "Outlook",
             ("Missing documents - {customer} - Message", "Untitled - Message"),
             ("new_email:1-1:1", "type_text:1-4:1", "send_email:1-1:1"), optional=0.92),  # rare
        Step("Create customer record", "CRM", ("Dynamics 365 - New Account",
                                               "Account: {customer} - Dynamics 365"),
             ("click_new:1-1:0.9", "type_text:2-9:1", "paste:0-4:0.7", "tab_key:0-4:0.7",
              "select_dropdown:1-3:0.9", "click_save:1-1:1"), loop=0.1),
        Step("Upload documents", "SharePoint", ("Customers/{customer} - SharePoint",
                                                "Upload Document - SharePoint"),
             ("open_folder:0-1:0.5", "upload_file:1-3:1", "drag_drop:0-2:0.4",
              "click_save:0-1:0.6"), optional=0.3, extensions=(".pdf", ".docx"), sharepoint=1.0),
        Step("Send welcome email", "Outlook",
             ("Untitled - Message", "Welcome {customer} - Message"),
             ("new_email:1-1:1", "type_text:1-5:1", "paste:0-2:0.6", "attach_file:0-1:0.4",
              "send_email:1-1:1"), extensions=(".pdf",)),
    )),
    Process("Expense claim", (
        Step("Collect receipts", "Explorer", ("Receipts - File Explorer",
                                              "Receipts/{yy}-{mm} - SharePoint"),
             ("open_folder:1-2:1", "open_file:1-4:1", "scroll:0-2:0.4", "copy:0-1:0.3"),
             extensions=(".jpg", ".pdf", ".png"), sharepoint=0.3),
        Step("Fill expense form", "Concur", ("Expense Report {n} - SAP Concur",
                                             "New Expense - SAP Concur"),
             ("navigate_url@Chrome:0-1:0.5", "type_text:2-8:1", "select_dropdown:1-3:1",
              "paste:0-2:0.5", "upload_file:1-3:0.9", "click_save:1-1:1"), loop=0.15,
             extensions=(".jpg", ".pdf")),
        Step("Correct expense", "Concur", ("Expense Report {n} - SAP Concur",),
             ("open_task:0-1:0.5", "click_cell:0-2:0.4", "type_text:1-3:1", "click_save:1-1:1"),
             optional=0.94),  # rare
        Step("Approve expense", "Concur", ("Approvals - SAP Concur", "Expense Report {n} - "
                                           "SAP Concur"),
             ("open_task:1-1:1", "scroll:1-3:0.8", "click_approve:1-1:0.85",
              "click_reject:0-1:0.15", "type_text:0-1:0.4")),
    )),
)

# Interruptions between steps get their own label: they are real, and must not be guessed.
INTERRUPTION = Step("Other", "Teams", ("Chat | Microsoft Teams", "{customer} | Microsoft Teams"),
                    ("switch_window:1-1:1", "read_message:1-3:1", "send_message:0-2:0.5"))

VENDORS = ("Acme GmbH", "Globex", "Initech", "Umbrella Ltd", "Stark Supplies", "Wayne Freight")
CUSTOMERS = ("Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Adventure Works")
USERS = ("jane.doe", "omar.k", "li.wei", "sam.p")


def step_names() -> list[str]:
    names = [s.name for p in PROCESSES for s in p.steps] + [INTERRUPTION.name]
    return list(dict.fromkeys(names))
