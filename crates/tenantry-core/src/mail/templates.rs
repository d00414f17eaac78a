//! The text of each mail, in plain text and HTML. A template gets the product name and link
//! base from [`MailSettings`] and its own parameters from the outbox row, so a change of
//! settings applies to mails still waiting.

use serde_json::Value;

use super::{MailSettings, RenderedMail};
use crate::model::{MailKind, OutboxMail};

/// Put where a token would be when the mail is shown without it (logs, the native API).
pub const WITHHELD: &str = "[token withheld]";

/// The path (below the link base) each kind of mail links to.
pub fn link_path(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Invitation => "/invitations/accept",
        MailKind::VerifyEmail => "/email/verify",
        MailKind::PasswordReset => "/password/reset",
    }
}

/// Renders `mail`. With `with_token` false the link's token is replaced by [`WITHHELD`].
pub fn render(mail: &OutboxMail, settings: &MailSettings, with_token: bool) -> RenderedMail {
    let token = match (&mail.token, with_token) {
        (Some(token), true) => token.as_str(),
        (Some(_), false) => WITHHELD,
        (None, _) => "[token removed after delivery]",
    };
    let link = format!(
        "{}{}?token={token}",
        settings.link_base.trim_end_matches('/'),
        link_path(mail.kind)
    );
    let product = settings.product_name.as_str();
    let param = |name: &str| mail.params.get(name).and_then(Value::as_str).unwrap_or("");
    let (subject, lead, action, after) = match mail.kind {
        MailKind::Invitation => {
            let account = param("account_name");
            let inviter = match param("inviter") {
                "" => String::new(),
                name => format!("{name} has invited you"),
            };
            let lead = if inviter.is_empty() {
                format!("You have been invited to join {account} on {product}.")
            } else {
                format!("{inviter} to join {account} on {product}.")
            };
            (
                format!("You are invited to join {account} on {product}"),
                lead,
                "Accept the invitation and choose a password",
                format!(
                    "The invitation expires on {}. If you did not expect it, ignore this mail.",
                    param("expires")
                ),
            )
        }
        MailKind::VerifyEmail => (
            format!("Confirm your email address for {product}"),
            format!("Please confirm that this is your address on {product}."),
            "Confirm my email address",
            "If you did not sign up, ignore this mail.".to_owned(),
        ),
        MailKind::PasswordReset => (
            format!("Reset your {product} password"),
            format!("Someone asked to reset the password of your {product} account."),
            "Choose a new password",
            format!(
                "The link works once and expires on {}. If you did not ask, ignore this mail: \
                 your password stays as it is.",
                param("expires")
            ),
        ),
    };
    let text = format!("Hello,\n\n{lead}\n\n{action}:\n{link}\n\n{after}\n\n— {product}\n");
    let html = format!(
        "<!doctype html>\n<html><body>\n<p>Hello,</p>\n<p>{}</p>\n\
         <p><a href=\"{}\">{}</a></p>\n<p>{}</p>\n<p>— {}</p>\n</body></html>\n",
        escape(&lead),
        escape(&link),
        escape(action),
        escape(&after),
        escape(product)
    );
    RenderedMail {
        id: mail.id.get(),
        from: settings.sender.clone(),
        to: mail.recipient.clone(),
        subject,
        text,
        html,
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::model::{AccountId, AccountPath, MailId, MailStatus};

    fn invitation(token: Option<&str>) -> OutboxMail {
        OutboxMail {
            id: MailId(7),
            kind: MailKind::Invitation,
            recipient: "ann@example.com".to_owned(),
            tenant_id: AccountId(1),
            account_path: AccountPath::root(AccountId(1)),
            user_id: None,
            params: json!({ "account_name": "Acme <R&D>", "inviter": "Bob", "expires": "2026-12-01" }),
            token: token.map(str::to_owned),
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt: datetime!(2026-11-22 0:00 UTC),
            claimed_until: None,
            last_error: None,
            created: datetime!(2026-11-22 0:00 UTC),
            sent: None,
        }
    }

    #[test]
    fn the_link_carries_the_token_only_when_asked() {
        let settings = MailSettings {
            link_base: "https://acc.example.com/".to_owned(),
            ..MailSettings::default()
        };
        let mail = render(&invitation(Some("tnt_iv_abc")), &settings, true);
        assert!(
            mail.text
                .contains("https://acc.example.com/invitations/accept?token=tnt_iv_abc")
        );
        assert_eq!(
            mail.subject,
            "You are invited to join Acme <R&D> on Tenantry"
        );
        let shown = render(&invitation(Some("tnt_iv_abc")), &settings, false);
        assert!(!shown.text.contains("tnt_iv_abc") && !shown.html.contains("tnt_iv_abc"));
        assert!(shown.text.contains(WITHHELD));
    }

    #[test]
    fn html_escapes_what_users_typed() {
        let mail = render(&invitation(Some("t")), &MailSettings::default(), true);
        assert!(mail.html.contains("Acme &lt;R&amp;D&gt;"));
        assert!(!mail.html.contains("<R&D>"));
    }
}
