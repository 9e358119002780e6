//! A whole sandbox conversation against a running `confab serve --sandbox`: a company and
//! its WhatsApp channel, a conversation, the customer's answer, a file sent back, its
//! delivery, and the messages.
//!
//! ```sh
//! TOKEN=$(cargo run -q -p confab -- user create --name demo)
//! CONFAB_TOKEN=$TOKEN cargo run -p confab-client --example sandbox_conversation
//! ```
//!
//! `CONFAB_URL` is the server's root (default `http://127.0.0.1:8080`).

use std::time::Duration;

use confab_client::{
    ChannelSettings, Client, Inbound, ListParams, NewCompany, NewConversation, NewMessage,
    Provider, Upload,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("CONFAB_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    let token = std::env::var("CONFAB_TOKEN").map_err(|_| "set CONFAB_TOKEN to an API token")?;
    let client = Client::new(&url, token)?;

    let company = client.companies().create(&NewCompany::new("Acme")).await?;
    let channels = client.channels(company);
    let channel = channels
        .create(Provider::Whatsapp, ChannelSettings::new())
        .await?;
    let phone = "79250000001";
    let conversation = client
        .conversations(company)
        .create(&NewConversation::whatsapp(phone, "Hello! How can we help?"))
        .await?
        .external_id;
    let inbound = Inbound::new(phone)
        .name("Ivan")
        .message("Please send the price list");
    client.sandbox(company).inbound(channel, &inbound).await?;

    let price_list = b"tea 3.50\ncoffee 4.20\n";
    let file = Upload::reader(&price_list[..], "prices.txt").length(price_list.len() as u64);
    let attachment = client
        .attachments(company, conversation)
        .upload(file)
        .await?;
    let messages = client.messages(company, conversation);
    let reply = NewMessage::text("Here you are").attachment(attachment);
    let job = messages.send(&reply).await?;
    let job = tokio::time::timeout(Duration::from_secs(30), client.wait_for_job(&job)).await??;
    if !job.is_delivered() {
        return Err(format!("message not delivered: {:?}", job.details).into());
    }

    let all = messages
        .stream(ListParams::new().per(100))
        .collect_all()
        .await?;
    for m in &all {
        let who = if m.income { "customer" } else { "us" };
        let files: Vec<&str> = m.attachments.iter().map(|a| a.file_name.as_str()).collect();
        println!(
            "#{} {who:>8} ack={:>2} {:?} {files:?}",
            m.external_id, m.ack, m.message
        );
    }
    println!(
        "company {company}, channel {channel}, conversation {conversation}: job {} {}",
        job.id, job.state
    );
    Ok(())
}
