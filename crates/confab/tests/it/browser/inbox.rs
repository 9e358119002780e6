//! The operator inbox in Chromium: the tabs and their counts, search, a conversation
//! opened, a reply with a file seen pending then ticked, a failed reply with its reason,
//! a customer's message arriving live (no reload), the row moving up, assignment and note
//! kept, the keyboard, and the phone layout.

use fantoccini::Locator;
use reqwest::Method;
use serde_json::Value;

use super::{Browser, DESKTOP, PHONE, submit_login};
use crate::harness::TestServer;

const PASSWORD: &str = "inbox password 1";

/// A tiny valid PNG (1x1), for the thumbnail.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0xf8,
    0x0f, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5f, 0xe5, 0xc3, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Runs `script` in the page and answers what it returns.
async fn js(browser: &Browser, script: &str) -> Value {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script {script:?} failed: {e}"))
}

/// Waits until `script` returns true in the page.
async fn wait_js(browser: &Browser, what: &str, script: &str) {
    let script = script.to_owned();
    browser
        .wait_until(what, move |client| {
            let script = script.clone();
            async move { Ok(client.execute(&script, vec![]).await?.as_bool() == Some(true)) }
        })
        .await;
}

/// The conversation ids of the list's rows, top to bottom.
#[allow(dead_code)]
async fn row_ids(browser: &Browser) -> Vec<i64> {
    let v = js(
        browser,
        "return [...document.querySelectorAll('#rows li.row')].map(r => Number(r.dataset.conversation))",
    )
    .await;
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// Waits until the list shows exactly `want`, in that order.
async fn wait_rows(browser: &Browser, want: &[i64]) {
    let list = want
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    wait_js(
        browser,
        &format!("the rows {list}"),
        &format!(
            "return [...document.querySelectorAll('#rows li.row')].map(r => r.dataset.conversation).join(',') === '{list}'"
        ),
    )
    .await;
}

/// Waits until tab `tab` shows `count`.
async fn wait_count(browser: &Browser, tab: &str, count: i64) {
    wait_js(
        browser,
        &format!("the {tab} tab counting {count}"),
        &format!(
            "const c = document.querySelector('.count[data-tab=\"{tab}\"]'); return !!c && c.textContent.trim() === '{count}'"
        ),
    )
    .await;
}

/// A company with three conversations the tabs tell apart:
/// `a` awaits a reply (the customer wrote last), unassigned;
/// `b` was answered and is assigned to the operator;
/// `c` was started by the company, unassigned.
struct Inbox {
    company: i64,
    channel: i64,
    a: i64,
    b: i64,
    c: i64,
}

async fn inbox(srv: &TestServer) -> Inbox {
    confab_server::users::set_password(
        &srv.data_dir(),
        srv.config().database_url.as_deref(),
        srv.user_id,
        PASSWORD,
    )
    .await
    .expect("set the password");
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let c = srv.conversation(company, "79250000003").await;
    let (b, _) = srv
        .inbound(company, channel, "79250000002", "Hello there")
        .await;
    let (status, body) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations/{b}/messages"),
            &[("message", "Hi, how can we help?")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/{b}/assign"),
            &[("assignee_id", &srv.user_id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (a, _) = srv
        .inbound(company, channel, "79250000001", "Where is my parcel?")
        .await;
    Inbox {
        company,
        channel,
        a,
        b,
        c,
    }
}

async fn log_in(browser: &Browser, company: i64) {
    browser.set_window_size(DESKTOP).await;
    submit_login(browser, "tester", PASSWORD).await;
    browser.wait_for_path(&format!("/c/{company}")).await;
    browser.wait_for("#rows li.row").await;
    // The event stream is open once the status says so.
    wait_js(
        browser,
        "the live status",
        "return document.getElementById('live-status').textContent === 'Live'",
    )
    .await;
}

async fn click_tab(browser: &Browser, tab: &str) {
    browser
        .find(&format!("label[for=\"tab-{tab}\"]"))
        .await
        .click()
        .await
        .expect("click the tab");
}

async fn open_row(browser: &Browser, company: i64, id: i64) {
    browser
        .find(&format!("#row-{id} a.row-link"))
        .await
        .click()
        .await
        .expect("open the conversation");
    browser
        .wait_for_path(&format!("/c/{company}/conversations/{id}"))
        .await;
    browser
        .wait_for(&format!("#conversation[data-conversation=\"{id}\"]"))
        .await;
}

#[tokio::test]
async fn tabs_counts_and_search_show_the_right_conversations() {
    let srv = TestServer::start().await;
    let t = inbox(&srv).await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };
    log_in(&browser, t.company).await;

    // All, newest activity first; the counts of every tab.
    wait_rows(&browser, &[t.a, t.b, t.c]).await;
    for (tab, count) in [("mine", 1), ("unassigned", 2), ("all", 3), ("awaiting", 1)] {
        wait_count(&browser, tab, count).await;
    }
    browser.screenshot("inbox-list").await;

    click_tab(&browser, "mine").await;
    wait_rows(&browser, &[t.b]).await;
    click_tab(&browser, "unassigned").await;
    wait_rows(&browser, &[t.a, t.c]).await;
    click_tab(&browser, "awaiting").await;
    wait_rows(&browser, &[t.a]).await;
    click_tab(&browser, "all").await;
    wait_rows(&browser, &[t.a, t.b, t.c]).await;

    // A word of a message finds its conversation; `/` goes to the search box.
    browser
        .find("body")
        .await
        .send_keys("/")
        .await
        .expect("press /");
    wait_js(
        &browser,
        "the search box focused",
        "return document.activeElement.id === 'q'",
    )
    .await;
    browser
        .find("#q")
        .await
        .send_keys("parcel")
        .await
        .expect("type");
    wait_rows(&browser, &[t.a]).await;
    browser.fill("#q", "").await;
    browser.find("#q").await.send_keys(" ").await.expect("type");
    wait_rows(&browser, &[t.a, t.b, t.c]).await;

    // A customer writes first on a second channel: the new conversation appears at the
    // top, live; the channel filter then shows only it.
    let second = srv.channel(t.company, "instagram").await;
    let (d, _) = srv
        .inbound(t.company, second, "79250000009", "New here")
        .await;
    wait_rows(&browser, &[d, t.a, t.b, t.c]).await;
    wait_count(&browser, "all", 4).await;
    // The filter lists the channels there were when the page was drawn.
    browser.goto(&format!("/c/{}", t.company)).await;
    browser
        .find("#channel")
        .await
        .select_by_value(&second.to_string())
        .await
        .expect("pick the channel");
    wait_rows(&browser, &[d]).await;
    wait_count(&browser, "all", 1).await;
    browser.close().await;
}

#[tokio::test]
async fn a_reply_with_a_file_goes_pending_then_ticked_and_a_customer_message_arrives_live() {
    let srv = TestServer::start().await;
    let t = inbox(&srv).await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };
    log_in(&browser, t.company).await;
    // Set before anything happens: a reload would lose it.
    js(&browser, "window.__noReload = 'kept'; return true").await;

    open_row(&browser, t.company, t.a).await;
    let text = browser.text().await;
    assert!(text.contains("Where is my parcel?"), "{text}");

    // Attach a picture by the file button, see it listed, send with Enter.
    let dir = tempfile::tempdir().expect("temp dir");
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, PNG).expect("write the photo");
    browser
        .find("#file")
        .await
        .send_keys(&photo.to_string_lossy())
        .await
        .expect("choose the file");
    wait_js(
        &browser,
        "the file listed before sending",
        "return document.getElementById('attachments-preview').textContent.includes('photo.png')",
    )
    .await;
    let composer = browser.find("#message").await;
    composer
        .send_keys("It is on its way")
        .await
        .expect("type the reply");
    composer.send_keys("\u{E007}").await.expect("press Enter");

    // The reply is in the timeline at once; the sandbox's phone then ticks it.
    let bubble = "#timeline li.bubble.out:last-child";
    browser.wait_for(bubble).await;
    let state = js(
        &browser,
        &format!("return document.querySelector('{bubble}').dataset.state"),
    )
    .await;
    assert!(
        ["pending", "sent", "delivered", "read"].contains(&state.as_str().unwrap_or("")),
        "{state}"
    );
    wait_js(
        &browser,
        "the reply's text and picture",
        &format!(
            "const b = document.querySelector('{bubble}'); return !!b && b.textContent.includes('It is on its way') && !!b.querySelector('a.thumb img')"
        ),
    )
    .await;
    wait_js(
        &browser,
        "the reply delivered (✓✓: the sandbox's phone got it)",
        &format!("return document.querySelector('{bubble}').dataset.state === 'delivered'"),
    )
    .await;
    wait_js(
        &browser,
        "the thumbnail loaded from the inbox's file route",
        &format!(
            "const i = document.querySelector('{bubble} a.thumb img'); return !!i && i.complete && i.naturalWidth === 1"
        ),
    )
    .await;
    let composer_text = js(&browser, "return document.getElementById('message').value").await;
    assert_eq!(composer_text, "", "the composer is cleared after sending");
    browser.screenshot("inbox-conversation").await;
    let messages = srv.all_messages(t.company, t.a).await;
    let sent = messages.last().expect("the reply");
    assert_eq!(sent["message"], "It is on its way");
    assert_eq!(sent["attachments"][0]["file_name"], "photo.png");

    // Open b (the next row down with j), then its customer writes: the message shows in
    // the open conversation and b's row moves to the top, without a reload.
    wait_rows(&browser, &[t.a, t.b, t.c]).await;
    // Answered: nobody awaits a reply any more.
    wait_count(&browser, "awaiting", 0).await;
    browser
        .find("body")
        .await
        .send_keys("j")
        .await
        .expect("press j");
    browser
        .wait_for(&format!("#conversation[data-conversation=\"{}\"]", t.b))
        .await;
    srv.inbound(t.company, t.channel, "79250000002", "Any news?")
        .await;
    wait_js(
        &browser,
        "the customer's message in the open conversation",
        "return [...document.querySelectorAll('#timeline li.bubble.in')].some(b => b.textContent.includes('Any news?'))",
    )
    .await;
    wait_rows(&browser, &[t.b, t.a, t.c]).await;
    wait_count(&browser, "awaiting", 1).await;
    assert_eq!(
        js(&browser, "return window.__noReload").await,
        "kept",
        "the page was not reloaded"
    );

    // A contact without WhatsApp: the reply fails, and says why.
    let (status, body) = srv
        .form(
            Method::POST,
            &format!(
                "/p1/companies/{}/channels/{}/sandbox/contacts",
                t.company, t.channel
            ),
            &[
                ("sender_external_id", "79250000003"),
                ("reachable", "false"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // k from b at the top stays there; then c is opened from its row.
    browser
        .find("body")
        .await
        .send_keys("k")
        .await
        .expect("press k");
    open_row(&browser, t.company, t.c).await;
    let composer = browser.find("#message").await;
    composer.send_keys("Hello?").await.expect("type");
    composer.send_keys("\u{E007}").await.expect("press Enter");
    wait_js(
        &browser,
        "the failed reply with its reason",
        "const b = document.querySelector('#timeline li.bubble.out:last-child'); return !!b && b.dataset.state === 'failed' && !!b.querySelector('.failed-reason')",
    )
    .await;

    // Esc goes back to the list.
    browser
        .find("body")
        .await
        .click()
        .await
        .expect("focus the page");
    browser
        .find("body")
        .await
        .send_keys("\u{E00C}")
        .await
        .expect("press Esc");
    browser.wait_for_path(&format!("/c/{}", t.company)).await;
    wait_js(
        &browser,
        "no open conversation",
        "return !document.getElementById('conversation')",
    )
    .await;
    browser.close().await;
}

#[tokio::test]
async fn assignee_and_note_are_kept_and_the_phone_layout_works() {
    let srv = TestServer::start().await;
    let t = inbox(&srv).await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };
    log_in(&browser, t.company).await;
    open_row(&browser, t.company, t.a).await;

    // Assign a to me: the side panel says so, Mine counts 2, the API agrees.
    let select = browser.find("#assignee").await;
    select
        .select_by_value(&srv.user_id.to_string())
        .await
        .expect("pick me");
    browser.wait_for("#side-panel .notice").await;
    wait_count(&browser, "mine", 2).await;
    wait_count(&browser, "unassigned", 1).await;
    browser.fill("#note", "VIP <b>customer</b>").await;
    browser
        .button("Save note")
        .await
        .click()
        .await
        .expect("save the note");
    wait_js(
        &browser,
        "the note saved",
        "const n = document.querySelector('#side-panel .notice'); return !!n && n.textContent.includes('Note saved')",
    )
    .await;
    let details = srv.conversation_details(t.company, t.a).await;
    assert_eq!(details["assignee_id"].as_i64(), Some(srv.user_id));
    assert_eq!(details["note"], "VIP <b>customer</b>");

    // After a reload both are still there (and the note is text, not markup).
    browser
        .goto(&format!("/c/{}/conversations/{}", t.company, t.a))
        .await;
    browser.wait_for("#side-panel").await;
    let picked = browser
        .find("#assignee")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(picked, Some(srv.user_id.to_string()));
    let note = browser
        .find("#note")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(note.as_deref(), Some("VIP <b>customer</b>"));
    assert!(
        browser
            .client
            .find_all(Locator::Css("#side-panel b"))
            .await
            .expect("find")
            .is_empty()
    );
    browser.screenshot("inbox-side-panel").await;

    // A phone: the open conversation covers the list; Back shows the list again.
    browser.set_window_size(PHONE).await;
    browser
        .goto(&format!("/c/{}/conversations/{}", t.company, t.a))
        .await;
    browser.wait_for("#conversation").await;
    let list_shown = js(
        &browser,
        "return getComputedStyle(document.getElementById('list-pane')).display !== 'none'",
    )
    .await;
    assert_eq!(
        list_shown, false,
        "the list is hidden behind the conversation"
    );
    let width = js(&browser, "return document.documentElement.scrollWidth").await;
    assert!(
        width.as_i64().is_some_and(|w| w <= i64::from(PHONE.0)),
        "nothing wider than the phone: {width}"
    );
    browser.screenshot("inbox-phone-conversation").await;
    browser.find("a.back").await.click().await.expect("back");
    wait_js(
        &browser,
        "the list shown again",
        "return getComputedStyle(document.getElementById('list-pane')).display !== 'none'",
    )
    .await;
    browser.screenshot("inbox-phone-list").await;
    browser.close().await;
}
