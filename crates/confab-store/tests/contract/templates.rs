//! WhatsApp Business templates: `replace_templates` (a sync: upsert by (waba_id,
//! language) with stable ids, the rest marked removed), `seed_template`, pages of a
//! company's and of a member's companies' templates, `find_templates` (by waba_id, then by
//! id), and a template send kept with its job and claimed with it.

use confab_store::{NewTemplate, TemplateSend, TemplateSync, WabaTemplate};
use serde_json::json;

use crate::backend::Backend;
use crate::fixtures::{
    T0, assert_not_found, check_id_paging, contact, everything, ids, new_channel, new_company,
    tenant, text,
};

contract!(
    a_sync_replaces_a_channels_templates_keeping_ids,
    seeding_adds_one_template_and_keeps_the_others,
    templates_are_paged_by_id_per_company_and_per_member,
    templates_are_found_by_waba_id_then_by_id,
    a_template_send_is_claimed_with_its_job,
);

fn business() -> confab_store::Provider {
    confab_store::Provider::WhatsappBusiness
}

fn tpl(waba_id: &str, language: &str, status: &str, body: &str) -> NewTemplate {
    NewTemplate::with_body(
        waba_id.to_owned(),
        waba_id.to_owned(),
        language.to_owned(),
        status.to_owned(),
        body.to_owned(),
    )
}

/// A whatsapp_business channel in the company; its id.
async fn business_channel(s: &Backend, company_id: i64) -> i64 {
    s.create_channel(company_id, new_channel(business()), T0)
        .await
        .expect("create a whatsapp_business channel")
        .id
}

async fn listed(s: &Backend, company_id: i64) -> Vec<WabaTemplate> {
    s.list_templates(company_id, everything())
        .await
        .expect("list templates")
}

async fn sync(
    s: &Backend,
    company_id: i64,
    channel_id: i64,
    set: Vec<NewTemplate>,
    now: i64,
) -> TemplateSync {
    s.replace_templates(company_id, channel_id, set, now)
        .await
        .expect("replace templates")
}

async fn a_sync_replaces_a_channels_templates_keeping_ids(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = business_channel(s, t.company.id).await;
    let first = vec![
        tpl("welcome", "en", "APPROVED", "Hi {{1}}"),
        tpl("welcome", "ru", "APPROVED", "Привет {{1}}"),
        tpl("order", "en", "PENDING", "Order {{1}} for {{2}}"),
    ];
    let got = sync(s, t.company.id, ch, first, T0 + 10).await;
    assert_eq!(
        got,
        TemplateSync {
            stored: 3,
            removed: 0
        }
    );
    let rows = listed(s, t.company.id).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (en, ru, order) = (rows[0].clone(), rows[1].clone(), rows[2].clone());
    assert!(en.id < ru.id && ru.id < order.id);
    assert_eq!(
        (
            en.waba_id.as_str(),
            en.name.as_str(),
            en.language.as_str(),
            en.status.as_str()
        ),
        ("welcome", "welcome", "en", "APPROVED")
    );
    assert_eq!((en.body.as_str(), en.substitutions_count), ("Hi {{1}}", 1));
    assert_eq!(
        (order.substitutions_count, order.status.as_str()),
        (2, "PENDING")
    );
    assert_eq!(en.components, json!([{"type": "BODY", "text": "Hi {{1}}"}]));
    assert_eq!((en.company_id, en.channel_id), (t.company.id, ch));
    assert!(rows.iter().all(|r| r.position == r.id));
    assert_eq!((en.created_at_ms, en.updated_at_ms), (T0 + 10, T0 + 10));

    // The next sync: `welcome/en` changed, `welcome/ru` and `order` gone, `promo` new.
    let second = vec![
        tpl("welcome", "en", "PAUSED", "Hello {{1}}, {{2}}"),
        tpl("promo", "en", "APPROVED", "Sale!"),
    ];
    let got = sync(s, t.company.id, ch, second, T0 + 20).await;
    assert_eq!(
        got,
        TemplateSync {
            stored: 2,
            removed: 2
        }
    );
    let rows = listed(s, t.company.id).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].id, en.id, "an updated template keeps its id");
    assert_eq!(
        (
            rows[0].status.as_str(),
            rows[0].body.as_str(),
            rows[0].substitutions_count
        ),
        ("PAUSED", "Hello {{1}}, {{2}}", 2)
    );
    assert_eq!(
        (rows[0].created_at_ms, rows[0].updated_at_ms),
        (T0 + 10, T0 + 20)
    );
    assert_eq!(rows[1].waba_id, "promo");
    assert!(rows[1].id > order.id);
    for gone in ["order", &ru.id.to_string()] {
        assert!(
            s.find_templates(t.company.id, ch, gone.to_owned())
                .await
                .expect("find")
                .is_empty(),
            "a removed template is not sendable: {gone}"
        );
    }

    // A template that comes back gets its old id; an empty sync removes everything.
    sync(
        s,
        t.company.id,
        ch,
        vec![tpl("order", "en", "APPROVED", "x")],
        T0 + 30,
    )
    .await;
    assert_eq!(
        ids(&listed(s, t.company.id).await, |r| r.id),
        vec![order.id]
    );
    let got = sync(s, t.company.id, ch, Vec::new(), T0 + 40).await;
    assert_eq!(
        got,
        TemplateSync {
            stored: 0,
            removed: 1
        }
    );
    assert!(listed(s, t.company.id).await.is_empty());

    // Only a live channel of the company can be synced.
    let other = tenant(s, 2, false).await;
    let theirs = business_channel(s, other.company.id).await;
    let refused = s
        .replace_templates(
            t.company.id,
            theirs,
            vec![tpl("x", "en", "APPROVED", "")],
            T0,
        )
        .await;
    assert_not_found(refused, "channel");
    assert!(listed(s, other.company.id).await.is_empty());
    assert!(listed(s, t.company.id).await.is_empty());
    assert!(
        s.delete_channel(t.company.id, ch, T0 + 50)
            .await
            .expect("delete")
    );
    assert_not_found(
        s.replace_templates(t.company.id, ch, Vec::new(), T0).await,
        "channel",
    );
}

async fn seeding_adds_one_template_and_keeps_the_others(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = business_channel(s, t.company.id).await;
    let a = s
        .seed_template(t.company.id, ch, tpl("a", "en", "APPROVED", "A {{1}}"), T0)
        .await
        .expect("seed a");
    assert_eq!(
        (a.waba_id.as_str(), a.substitutions_count, a.position),
        ("a", 1, a.id)
    );
    let b = s
        .seed_template(t.company.id, ch, tpl("b", "en", "REJECTED", "B"), T0 + 1)
        .await
        .expect("seed b");
    assert_eq!(b.status, "REJECTED");
    // Seeding the same (waba_id, language) again updates it in place.
    let again = NewTemplate {
        name: "Shown name".to_owned(),
        ..tpl("a", "en", "APPROVED", "A {{1}} {{2}}")
    };
    let a2 = s
        .seed_template(t.company.id, ch, again, T0 + 2)
        .await
        .expect("seed a again");
    assert_eq!(
        (a2.id, a2.name.as_str(), a2.substitutions_count),
        (a.id, "Shown name", 2)
    );
    assert_eq!(
        ids(&listed(s, t.company.id).await, |r| r.id),
        vec![a.id, b.id]
    );
    assert_eq!(listed(s, t.company.id).await[0], a2);
    // The whatsapp channel of the tenant is live; another company's channel is not theirs.
    let other = tenant(s, 2, false).await;
    let refused = s
        .seed_template(
            t.company.id,
            other.channel.id,
            tpl("c", "en", "APPROVED", ""),
            T0,
        )
        .await;
    assert_not_found(refused, "channel");
}

async fn templates_are_paged_by_id_per_company_and_per_member(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = business_channel(s, t.company.id).await;
    let second = s
        .create_company(t.user.id, new_company("second"), T0)
        .await
        .expect("a second company");
    let ch2 = business_channel(s, second.id).await;
    let other = tenant(s, 2, false).await;
    let theirs = business_channel(s, other.company.id).await;
    let mut mine = Vec::new();
    let mut all = Vec::new();
    for i in 0..5 {
        let a = s
            .seed_template(
                t.company.id,
                ch,
                tpl(&format!("t{i}"), "en", "APPROVED", ""),
                T0,
            )
            .await
            .expect("seed");
        mine.push(a.id);
        all.push(a.id);
        let b = s
            .seed_template(
                second.id,
                ch2,
                tpl(&format!("s{i}"), "en", "APPROVED", ""),
                T0,
            )
            .await
            .expect("seed");
        all.push(b.id);
        s.seed_template(
            other.company.id,
            theirs,
            tpl(&format!("o{i}"), "en", "APPROVED", ""),
            T0,
        )
        .await
        .expect("seed");
    }
    check_id_paging("company templates", &mine, |page| async move {
        ids(
            &s.list_templates(t.company.id, page).await.expect("page"),
            |r| r.id,
        )
    })
    .await;
    let user_id = t.user.id;
    check_id_paging("member templates", &all, |page| async move {
        ids(
            &s.list_member_templates(user_id, page).await.expect("page"),
            |r| r.id,
        )
    })
    .await;
    // A deleted channel's templates are no longer listed.
    assert!(
        s.delete_channel(second.id, ch2, T0 + 1)
            .await
            .expect("delete")
    );
    let user_id = t.user.id;
    check_id_paging(
        "member templates after a delete",
        &mine,
        |page| async move {
            ids(
                &s.list_member_templates(user_id, page).await.expect("page"),
                |r| r.id,
            )
        },
    )
    .await;
    assert!(listed(s, second.id).await.is_empty());
}

async fn templates_are_found_by_waba_id_then_by_id(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = business_channel(s, t.company.id).await;
    let en = s
        .seed_template(t.company.id, ch, tpl("welcome", "en", "APPROVED", "Hi"), T0)
        .await
        .expect("seed");
    let ru = s
        .seed_template(
            t.company.id,
            ch,
            tpl("welcome", "ru", "PENDING", "Привет"),
            T0,
        )
        .await
        .expect("seed");
    let find =
        |key: String| async move { s.find_templates(t.company.id, ch, key).await.expect("find") };
    assert_eq!(
        find("welcome".to_owned()).await,
        vec![en.clone(), ru.clone()]
    );
    assert_eq!(find(ru.id.to_string()).await, vec![ru.clone()]);
    assert!(find("nothing".to_owned()).await.is_empty());
    assert!(find("999999".to_owned()).await.is_empty());
    // A template whose name is another's id: the name wins.
    let numeric = s
        .seed_template(
            t.company.id,
            ch,
            tpl(&en.id.to_string(), "en", "APPROVED", "N"),
            T0,
        )
        .await
        .expect("seed");
    assert_eq!(find(en.id.to_string()).await, vec![numeric]);
    // Not through another channel or company.
    let other = tenant(s, 2, false).await;
    assert!(
        s.find_templates(other.company.id, ch, "welcome".to_owned())
            .await
            .expect("find")
            .is_empty()
    );
    assert!(
        s.find_templates(t.company.id, t.channel.id, "welcome".to_owned())
            .await
            .expect("find")
            .is_empty()
    );
}

async fn a_template_send_is_claimed_with_its_job(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = business_channel(s, t.company.id).await;
    let channel = s
        .get_channel(t.company.id, ch)
        .await
        .expect("get")
        .expect("live");
    let send = TemplateSend {
        name: "order".to_owned(),
        language: "en".to_owned(),
        parameters: vec!["Ivan".to_owned(), "42".to_owned()],
        placeholders: vec!["1".to_owned(), "2".to_owned()],
    };
    let with_template = confab_store::OutgoingText {
        template: Some(send.clone()),
        ..text("Order Ivan for 42")
    };
    let posted = s
        .start_conversation(channel, contact("79250000001", None), with_template, T0)
        .await
        .expect("start with a template");
    let plain = s
        .start_conversation(
            t.channel.clone(),
            contact("79250000002", None),
            text("hi"),
            T0,
        )
        .await
        .expect("start plain");
    let claimed = s.claim_jobs(T0 + 1, T0 + 10_000, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    let job = |id: i64| claimed.iter().find(|c| c.job.id == id).expect("claimed");
    let templated = job(posted.job.as_ref().expect("job").id);
    assert_eq!(templated.template, Some(send));
    assert_eq!(templated.message.body, "Order Ivan for 42");
    assert_eq!(job(plain.job.as_ref().expect("job").id).template, None);
}
