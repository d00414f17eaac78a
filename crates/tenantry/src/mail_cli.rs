//! `tenantry mail list` and `tenantry mail show`: the outbox as an operator reads it. `show`
//! prints a mail with its link's token (while the outbox still holds one), which is how a
//! newcomer without a mail server follows an invitation locally.

use tenantry_core::mail::MailSettings;
use tenantry_core::mail::templates::render;
use tenantry_core::model::mail::MailFilter;
use tenantry_core::model::{MailId, MailStatus};
use time::format_description::well_known::Rfc3339;

use crate::cli::MailCommand;
use crate::database;

pub async fn run(command: MailCommand) -> anyhow::Result<()> {
    match command {
        MailCommand::List {
            status,
            limit,
            database,
        } => {
            let store = database::open(&database).await?;
            let status = status
                .map(|s| s.parse::<MailStatus>())
                .transpose()
                .map_err(|()| anyhow::anyhow!("unknown --status"))?;
            let filter = MailFilter {
                status,
                before: None,
                limit,
            };
            println!(
                "{:>6}  {:<8}  {:>8}  {:<14}  {:<20}  recipient / last error",
                "id", "status", "attempts", "kind", "created"
            );
            for mail in store.mails(None, &filter).await? {
                println!(
                    "{:>6}  {:<8}  {:>8}  {:<14}  {:<20}  {}{}",
                    mail.id,
                    mail.status,
                    mail.attempts,
                    mail.kind.as_str(),
                    mail.created.format(&Rfc3339).unwrap_or_default(),
                    mail.recipient,
                    mail.last_error
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
        }
        MailCommand::Show {
            id,
            public_url,
            product_name,
            mail_from,
            database,
        } => {
            let store = database::open(&database).await?;
            let mail = store
                .mail(MailId(id))
                .await?
                .ok_or_else(|| anyhow::anyhow!("no mail {id}"))?;
            let settings = MailSettings {
                product_name,
                link_base: public_url,
                sender: mail_from,
            };
            let rendered = render(&mail, &settings, true);
            println!("From: {}", rendered.from);
            println!("To: {}", rendered.to);
            println!("Subject: {}", rendered.subject);
            println!("Status: {} after {} attempt(s)", mail.status, mail.attempts);
            if let Some(error) = &mail.last_error {
                println!("Last error: {error}");
            }
            println!();
            print!("{}", rendered.text);
        }
    }
    Ok(())
}
