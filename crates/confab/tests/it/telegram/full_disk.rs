//! A messenger accepted a message but the database could not record it (a full disk): the
//! outcome is retried until it is recorded, and the message never goes out twice, even
//! when the job's lease runs out meanwhile.

use confab_fakes::telegram::Failure;
use reqwest::Method;

use super::*;
use crate::storage_full::{Tmpfs, fill};

const CHAT: i64 = 8181;

#[tokio::test]
async fn an_unrecorded_send_is_recorded_later_and_never_repeated() {
    let Some(tmpfs) = Tmpfs::for_sqlite_data_dir("24m") else {
        return;
    };
    let data = tmpfs.path.join("data");
    let bot = Bot::start_with(|c| {
        c.data_dir = data.clone();
        c.job_lease = Duration::from_secs(2);
    })
    .await;
    bot.customer_sends(CHAT, Content::text("hi"));
    let (conversation, _) = bot.wait_messages(CHAT, 1).await;

    // Telegram takes its time with the reply; meanwhile the disk fills up.
    bot.fake.fail_next(
        TOKEN,
        "sendMessage",
        Failure::Slow(Duration::from_secs(6)),
        1,
    );
    let job = bot.reply(conversation, "the one reply").await;
    eventually("the send is under way", || async {
        (bot.fake.calls(TOKEN, "sendMessage") == 1).then_some(())
    })
    .await;
    let filler = tmpfs.path.join("filler");
    fill(&filler);
    let note = "n".repeat(4000);
    let path = format!("{}/note", item_path(bot.company, conversation));
    let mut full = false;
    for _ in 0..3000 {
        let (status, _) = bot.srv.form(Method::PUT, &path, &[("note", &note)]).await;
        if status == 507 {
            full = true;
            break;
        }
    }
    assert!(full, "the disk filled up");
    // Telegram answers while nothing can be written; the lease runs out too.
    eventually("Telegram accepted the message", || async {
        (!bot.fake.sent(TOKEN).is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    std::fs::remove_file(&filler).expect("free space");

    let done = bot.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent: Vec<_> = bot
        .fake
        .sent(TOKEN)
        .into_iter()
        .filter(|s| s.text.as_deref() == Some("the one reply"))
        .collect();
    assert_eq!(sent.len(), 1, "sent once");
    assert_eq!(bot.fake.calls(TOKEN, "sendMessage"), 1);
}
