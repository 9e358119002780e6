//! Attachments: `create_attachment` (unsent until a message carries it) and
//! `get_attachment`, which finds only the company's own.

use confab_store::{Attachment, NewAttachment};

use crate::backend::Backend;
use crate::fixtures::{T0, inbound, messages_of, new_attachment, tenant};

contract!(attachments_read_back_within_their_company);

async fn attachments_read_back_within_their_company(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let ca = inbound(s, &a, "100", "hi", T0).await.conversation.id;
    let doc = s
        .create_attachment(a.company.id, new_attachment(ca, "doc.pdf"), T0 + 5)
        .await
        .expect("create");
    let want = Attachment {
        id: doc.id,
        company_id: a.company.id,
        conversation_id: ca,
        message_id: None,
        file_name: "doc.pdf".to_owned(),
        mime_type: "image/png".to_owned(),
        size: 1234,
        blob_key: "blobs/doc.pdf".to_owned(),
        source_url: Some("https://files.example/doc.pdf".to_owned()),
        created_at_ms: T0 + 5,
    };
    assert_eq!(doc, want);
    assert_eq!(
        s.get_attachment(a.company.id, doc.id).await.expect("get"),
        Some(want)
    );
    // An upload without a source URL.
    let plain = s
        .create_attachment(
            a.company.id,
            NewAttachment {
                source_url: None,
                size: 0,
                ..new_attachment(ca, "empty.txt")
            },
            T0 + 6,
        )
        .await
        .expect("create");
    assert!(plain.id > doc.id, "ids grow");
    assert_eq!(plain.source_url, None);
    assert_eq!(plain.size, 0);
    assert_eq!(
        s.get_attachment(a.company.id, plain.id).await.expect("get"),
        Some(plain.clone())
    );
    // Another company's id, or none.
    assert_eq!(
        s.get_attachment(b.company.id, doc.id).await.expect("get"),
        None
    );
    assert_eq!(
        s.get_attachment(a.company.id, 999).await.expect("get"),
        None
    );
    // Unsent, they are on no message.
    assert!(
        messages_of(s, a.company.id, ca)
            .await
            .iter()
            .all(|m| m.attachments.is_empty())
    );
}
