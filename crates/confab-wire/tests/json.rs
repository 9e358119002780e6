//! The direct JSON writer (`confab_wire::json`) against the derived `Serialize`, which
//! defines the wire format: the same bytes for every field, every escape and generated
//! values; and golden bytes, so a change to either writer shows here.

// Test code may fail loudly: a panic is a failed assertion here.
#![allow(clippy::expect_used)]

use confab_wire::json::{WriteJson, to_vec};
use confab_wire::{
    Conversation, ConversationList, Envelope, Message, MessageAttachment, MessageList, Status,
};
use proptest::prelude::*;
use serde::Serialize;

/// Both writers' bytes of `value`, as text for readable failures.
fn both<T: WriteJson + Serialize>(value: &T) -> (String, String) {
    let fast = to_vec(value, 0).expect("direct writer");
    let serde = serde_json::to_vec(value).expect("serde_json");
    (
        String::from_utf8(fast).expect("utf-8"),
        String::from_utf8(serde).expect("utf-8"),
    )
}

/// Text with every character JSON escapes, a non-ASCII run, DEL and an emoji.
const NASTY: &str = "a \"quoted\" \\ back\nnew\r\t\u{8}\u{c}\u{0}\u{1f} Привет \u{7f} 🎉 </script>";

fn conversation(text: &str) -> Conversation {
    let mut meta = serde_json::Map::new();
    meta.insert(
        "k\"ey".to_owned(),
        serde_json::json!({"n": [1, 2.5, null, text]}),
    );
    Conversation {
        external_id: 42,
        name: format!("Name {text}"),
        channel_id: -7,
        channel_type: "whatsapp".to_owned(),
        created_at: "2017-11-11T10:17:10.655Z".to_owned(),
        created_at_timestamp: 1_510_395_430,
        avatar: "/avatars/original/missing.png".to_owned(),
        sender_external_id: text.to_owned(),
        meta,
        last_message_at: 0,
        last_income_message_at: i64::MAX,
        bitrix_block_openlines: true,
        note: Some(text.to_owned()),
        assignee_id: Some(i64::MIN),
    }
}

fn message(text: &str) -> Message {
    Message {
        external_id: 9,
        channel_id: 3,
        channel_type: "telegram_personal".to_owned(),
        message: text.to_owned(),
        income: true,
        created_at: "2026-11-24T19:09:00.007Z".to_owned(),
        created_at_timestamp: 1_795_547_340,
        attachments: vec![
            MessageAttachment {
                external_id: 1,
                file_name: text.to_owned(),
                mime_type: "image/png".to_owned(),
                size: 0,
                attachment_url: "/p1/companies/1/conversations/2/attachments/1".to_owned(),
            },
            MessageAttachment {
                external_id: 2,
                file_name: "b.pdf".to_owned(),
                mime_type: "application/pdf".to_owned(),
                size: 1 << 40,
                attachment_url: "/p1/companies/1/conversations/2/attachments/2".to_owned(),
            },
        ],
        ack: -1,
        send_to_crm: false,
        job_id: None,
        external_public_id: Some(text.to_owned()),
        // Keys in sorted order, so the golden bytes hold with and without serde_json's
        // `preserve_order` (which another crate's features may switch on).
        interactive: Some(serde_json::json!({"body": {"text": text}, "type": "button"})),
    }
}

#[test]
fn conversation_page_is_golden_and_equals_serde() {
    let page = Envelope::ok(ConversationList {
        conversations: vec![
            conversation(NASTY),
            Conversation {
                meta: serde_json::Map::new(),
                note: None,
                assignee_id: None,
                bitrix_block_openlines: false,
                ..conversation("plain")
            },
        ],
        next_page: Some("Y29udmVyc2F0aW9uczoxfGF8OTAw".to_owned()),
    });
    let (fast, serde) = both(&page);
    assert_eq!(fast, serde);
    // DEL (0x7f) and non-ASCII pass through unescaped, as serde_json writes them.
    let nasty = r#""a \"quoted\" \\ back\nnew\r\t\b\f\u0000\u001f Привет <DEL> 🎉 </script>""#
        .replace("<DEL>", "\u{7f}");
    let expected = format!(
        concat!(
            r#"{{"status":"ok","data":{{"conversations":["#,
            r#"{{"external_id":42,"name":"Name {inner},"channel_id":-7,"channel_type":"whatsapp","#,
            r#""created_at":"2017-11-11T10:17:10.655Z","created_at_timestamp":1510395430,"#,
            r#""avatar":"/avatars/original/missing.png","sender_external_id":{nasty},"#,
            r#""meta":{{"k\"ey":{{"n":[1,2.5,null,{nasty}]}}}},"last_message_at":0,"#,
            r#""last_income_message_at":9223372036854775807,"bitrix_block_openlines":true,"#,
            r#""note":{nasty},"assignee_id":-9223372036854775808}},"#,
            r#"{{"external_id":42,"name":"Name plain","channel_id":-7,"channel_type":"whatsapp","#,
            r#""created_at":"2017-11-11T10:17:10.655Z","created_at_timestamp":1510395430,"#,
            r#""avatar":"/avatars/original/missing.png","sender_external_id":"plain","#,
            r#""meta":{{}},"last_message_at":0,"last_income_message_at":9223372036854775807,"#,
            r#""bitrix_block_openlines":false,"note":null,"assignee_id":null}}],"#,
            r#""next_page":"Y29udmVyc2F0aW9uczoxfGF8OTAw"}}}}"#
        ),
        nasty = nasty,
        inner = nasty.get(1..).expect("quoted"),
    );
    assert_eq!(fast, expected);
}

#[test]
fn message_page_is_golden_and_equals_serde() {
    let page = Envelope::ok(MessageList {
        messages: vec![
            message(NASTY),
            Message {
                attachments: Vec::new(),
                interactive: None,
                external_public_id: None,
                job_id: Some(77),
                ack: 3,
                ..message("hi")
            },
        ],
        next_page: None,
    });
    let (fast, serde) = both(&page);
    assert_eq!(fast, serde);
    // DEL (0x7f) and non-ASCII pass through unescaped, as serde_json writes them.
    let nasty = r#""a \"quoted\" \\ back\nnew\r\t\b\f\u0000\u001f Привет <DEL> 🎉 </script>""#
        .replace("<DEL>", "\u{7f}");
    let expected = format!(
        concat!(
            r#"{{"status":"ok","data":{{"messages":["#,
            r#"{{"external_id":9,"channel_id":3,"channel_type":"telegram_personal","#,
            r#""message":{nasty},"income":true,"created_at":"2026-11-24T19:09:00.007Z","#,
            r#""created_at_timestamp":1795547340,"attachments":["#,
            r#"{{"external_id":1,"file_name":{nasty},"mime_type":"image/png","size":0,"#,
            r#""attachment_url":"/p1/companies/1/conversations/2/attachments/1"}},"#,
            r#"{{"external_id":2,"file_name":"b.pdf","mime_type":"application/pdf","#,
            r#""size":1099511627776,"attachment_url":"/p1/companies/1/conversations/2/attachments/2"}}],"#,
            r#""ack":-1,"send_to_crm":false,"job_id":null,"external_public_id":{nasty},"#,
            r#""interactive":{{"body":{{"text":{nasty}}},"type":"button"}}}},"#,
            r#"{{"external_id":9,"channel_id":3,"channel_type":"telegram_personal","#,
            r#""message":"hi","income":true,"created_at":"2026-11-24T19:09:00.007Z","#,
            r#""created_at_timestamp":1795547340,"attachments":[],"ack":3,"#,
            r#""send_to_crm":false,"job_id":77,"external_public_id":null}}],"#,
            r#""next_page":null}}}}"#
        ),
        nasty = nasty,
    );
    assert_eq!(fast, expected);
}

#[test]
fn every_status_word_and_an_empty_envelope_equal_serde() {
    for status in [
        Status::Ok,
        Status::Created,
        Status::Updated,
        Status::Deleted,
    ] {
        let empty = Envelope::<MessageList> { status, data: None };
        let (fast, serde) = both(&empty);
        assert_eq!(fast, serde);
    }
}

proptest! {
    /// Any text in any string field, any numbers: the same bytes as serde_json.
    #[test]
    fn generated_rows_equal_serde(
        text in any::<String>(),
        other in "[ -~\\x00-\\x1f\u{80}-\u{10ffff}]{0,40}",
        id in any::<i64>(),
        ack in any::<i32>(),
        flag in any::<bool>(),
        maybe in proptest::option::of(any::<i64>()),
    ) {
        let c = Conversation {
            external_id: id,
            name: other.clone(),
            note: flag.then(|| text.clone()),
            assignee_id: maybe,
            ..conversation(&text)
        };
        let m = Message {
            external_id: id,
            ack,
            job_id: maybe,
            income: flag,
            channel_type: other.clone(),
            interactive: None,
            ..message(&text)
        };
        let (fast, serde) = both(&ConversationList { conversations: vec![c], next_page: Some(other) });
        prop_assert_eq!(fast, serde);
        let (fast, serde) = both(&MessageList { messages: vec![m], next_page: None });
        prop_assert_eq!(fast, serde);
    }
}
