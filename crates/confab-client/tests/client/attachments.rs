//! Attachments: streamed uploads with progress, uploads by URL, byte-equal downloads.

use std::sync::{Arc, Mutex};

use confab_client::{Job, ListParams, NewMessage, Progress, Upload};

use crate::harness::TestServer;

/// Bytes that are not all alike, so a shifted or truncated copy cannot pass.
fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn upload_a_file_with_progress_send_it_and_download_it_byte_equal() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    let bytes = sample(300_000);
    std::fs::write(&path, &bytes).expect("write");

    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let attachments = srv.client.attachments(company, conversation);
    let id = attachments
        .upload(Upload::path(&path).on_progress(move |p| sink.lock().expect("lock").push(p)))
        .await
        .expect("upload");

    let reports = reports.lock().expect("lock").clone();
    assert!(reports.len() > 1, "one report per chunk: {reports:?}");
    assert!(reports.windows(2).all(|w| w[0].sent < w[1].sent));
    assert!(reports.iter().all(|p| p.total == Some(300_000)));
    assert_eq!(reports.last().map(|p| p.sent), Some(300_000));

    let mut downloaded = Vec::new();
    let written = attachments
        .download(id, &mut downloaded)
        .await
        .expect("download");
    assert_eq!(written, 300_000);
    assert!(downloaded == bytes, "downloaded bytes differ");

    let copy = dir.path().join("copy.pdf");
    assert_eq!(
        attachments
            .download_to_file(id, &copy)
            .await
            .expect("to file"),
        300_000
    );
    assert!(std::fs::read(&copy).expect("read") == bytes);

    // Sent with a message, it shows up with its name, type and size, and its
    // attachment_url downloads the same bytes.
    let job = srv
        .client
        .messages(company, conversation)
        .send(&NewMessage::text("Here you are").attachment(id))
        .await
        .expect("send");
    assert_eq!(
        srv.client.wait_for_job(&job).await.expect("wait").state,
        Job::DELIVERED
    );
    let messages = srv
        .client
        .messages(company, conversation)
        .list(&ListParams::new().descending().per(1))
        .await
        .expect("list");
    let attachment = &messages.items[0].attachments[0];
    assert_eq!(attachment.external_id, id);
    assert_eq!(attachment.file_name, "report.pdf");
    assert_eq!(attachment.mime_type, "application/pdf");
    assert_eq!(attachment.size, 300_000);
    let mut again = Vec::new();
    srv.client
        .download(&attachment.attachment_url, &mut again)
        .await
        .expect("download by url");
    assert!(again == bytes);
}

#[tokio::test]
async fn upload_from_a_reader_without_a_length_is_streamed_chunked() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let bytes = sample(70_000);
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let attachments = srv.client.attachments(company, conversation);
    let upload = Upload::reader(std::io::Cursor::new(bytes.clone()), "notes.txt")
        .mime_type("text/plain")
        .on_progress(move |p| sink.lock().expect("lock").push(p));
    let id = attachments.upload(upload).await.expect("upload");
    let last = reports.lock().expect("lock").last().copied();
    assert_eq!(
        last,
        Some(Progress {
            sent: 70_000,
            total: None
        })
    );
    let mut downloaded = Vec::new();
    attachments
        .download(id, &mut downloaded)
        .await
        .expect("download");
    assert!(downloaded == bytes);

    // The server stored the given name and type.
    let job = srv
        .client
        .messages(company, conversation)
        .send(&NewMessage::attachments([id]))
        .await
        .expect("send");
    srv.client.wait_for_job(&job).await.expect("wait");
    let page = srv
        .client
        .messages(company, conversation)
        .list(&ListParams::new().descending().per(1))
        .await
        .expect("list");
    let attachment = &page.items[0].attachments[0];
    assert_eq!(
        (attachment.file_name.as_str(), attachment.mime_type.as_str()),
        ("notes.txt", "text/plain")
    );
}

#[tokio::test]
async fn upload_by_url_and_missing_files() {
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let attachments = srv.client.attachments(company, conversation);
    // The server's own placeholder avatar: a 1x1 PNG.
    let id = attachments
        .upload_url(&format!("{}/avatars/original/missing.png", srv.base))
        .await
        .expect("upload_url");
    let mut png = Vec::new();
    assert_eq!(
        attachments.download(id, &mut png).await.expect("download"),
        67
    );
    assert_eq!(&png[..4], b"\x89PNG");

    let err = attachments
        .upload(Upload::path("/nonexistent/file.bin"))
        .await
        .expect_err("no such file");
    assert!(matches!(err, confab_client::Error::Io(_)), "{err:?}");

    let err = attachments
        .download(id + 100, &mut Vec::new())
        .await
        .expect_err("no such attachment");
    assert!(err.is_not_found(), "{err:?}");
}
