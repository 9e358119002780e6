//! The conversation list of the inbox: its tabs, channel filter and search (read from the
//! query string), its pages (newest activity first, keyset "load more"), and single rows
//! for live updates.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use confab_store::{
    AssigneeFilter, Conversation, ConversationFilter, ConversationOrder, ConversationQuery,
    SearchTerms,
};

use super::views::{self, Row};
use super::{Directory, bad_param};
use crate::AppState;
use crate::ui::answers;
use crate::ui::operator::Operator;

/// Conversations per page of the list.
pub const PAGE: u32 = 25;
/// The longest search taken (as the API's `q`).
const MAX_Q: usize = 255;

/// An inbox tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Assigned to the operator.
    Mine,
    /// Assigned to nobody.
    Unassigned,
    /// Every conversation.
    All,
    /// The customer wrote last.
    Awaiting,
}

impl Tab {
    /// Every tab, in the order shown.
    pub const ALL: [Tab; 4] = [Tab::Mine, Tab::Unassigned, Tab::All, Tab::Awaiting];

    /// Its value in the query string.
    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Mine => "mine",
            Tab::Unassigned => "unassigned",
            Tab::All => "all",
            Tab::Awaiting => "awaiting",
        }
    }

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Mine => "Mine",
            Tab::Unassigned => "Unassigned",
            Tab::All => "All",
            Tab::Awaiting => "Awaiting reply",
        }
    }
}

/// What the list shows: a tab, a channel, a search, and where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// The tab.
    pub tab: Tab,
    /// Only this channel.
    pub channel: Option<i64>,
    /// The search as typed (shown back in the search box).
    pub q: String,
    /// The search's words, when `q` has any.
    pub search: Option<SearchTerms>,
    /// The page starts after this `(activity_at_ms, id)`.
    pub after: Option<(i64, i64)>,
}

impl ListParams {
    /// Reads the query string; a malformed value is an error naming its parameter.
    pub fn read(query: &HashMap<String, String>) -> Result<ListParams, (&'static str, String)> {
        let tab = match query.get("tab").map(|t| t.trim()).unwrap_or("") {
            "" | "all" => Tab::All,
            "mine" => Tab::Mine,
            "unassigned" => Tab::Unassigned,
            "awaiting" => Tab::Awaiting,
            _ => {
                return Err((
                    "tab",
                    "must be mine, unassigned, all or awaiting".to_owned(),
                ));
            }
        };
        let channel = match query.get("channel").map(|c| c.trim()).unwrap_or("") {
            "" => None,
            raw => Some(
                raw.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or(("channel", "must be a channel id".to_owned()))?,
            ),
        };
        let q = query.get("q").cloned().unwrap_or_default();
        if q.chars().count() > MAX_Q {
            return Err(("q", format!("must be at most {MAX_Q} characters")));
        }
        let search = SearchTerms::parse(&q);
        let after = match query.get("after").map(|a| a.trim()).unwrap_or("") {
            "" => None,
            raw => Some(parse_key(raw).ok_or((
                "after",
                "must be the key of the last row shown (time.id)".to_owned(),
            ))?),
        };
        Ok(ListParams {
            tab,
            channel,
            q,
            search,
            after,
        })
    }

    /// The store filter of the list, for operator `user_id`.
    pub fn filter(&self, user_id: i64) -> ConversationFilter {
        ConversationFilter {
            assignee: match self.tab {
                Tab::Mine => Some(AssigneeFilter::User(user_id)),
                Tab::Unassigned => Some(AssigneeFilter::Nobody),
                Tab::All | Tab::Awaiting => None,
            },
            channel_id: self.channel,
            awaiting_reply: self.tab == Tab::Awaiting,
            search: self.search.clone(),
        }
    }

    /// Whether `c` belongs in this list (the search aside, which only the store can
    /// answer): for a row a live event brings.
    pub fn admits(&self, c: &Conversation, user_id: i64) -> bool {
        let tab = match self.tab {
            Tab::Mine => c.assignee_id == Some(user_id),
            Tab::Unassigned => c.assignee_id.is_none(),
            Tab::All => true,
            Tab::Awaiting => awaiting_reply(c),
        };
        tab && self.channel.is_none_or(|id| c.channel_id == id)
    }

    /// The query string of this list (without `after`), for links and "load more".
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("tab", self.tab.as_str());
        if let Some(channel) = self.channel {
            out.append_pair("channel", &channel.to_string());
        }
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        out.finish()
    }
}

/// Whether the customer wrote last: their last message is the conversation's last.
pub fn awaiting_reply(c: &Conversation) -> bool {
    c.last_income_message_at_ms.is_some() && c.last_income_message_at_ms >= c.last_message_at_ms
}

/// `time.id`, the keyset of a row.
fn parse_key(raw: &str) -> Option<(i64, i64)> {
    let (at, id) = raw.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// The keyset of a row, as "load more" sends it back.
pub fn key_of(c: &Conversation) -> String {
    format!("{}.{}", c.activity_at_ms(), c.id)
}

/// One page of the list, with each row's last message; and whether more follow.
pub async fn load_page(
    state: &AppState,
    op: &Operator,
    params: &ListParams,
) -> Result<(Vec<Row>, bool), Response> {
    let query = ConversationQuery {
        filter: params.filter(op.user_id()),
        order: ConversationOrder::LastMessage,
        after: params.after,
        descending: true,
        limit: PAGE + 1,
    };
    let mut conversations = state
        .app
        .store
        .find_conversations(op.company_id(), query)
        .await
        .map_err(|e| answers::store_failed(&e))?;
    let more = conversations.len() > PAGE as usize;
    conversations.truncate(PAGE as usize);
    let rows = with_last_messages(state, op.company_id(), conversations).await?;
    Ok((rows, more))
}

/// The rows of `conversations`, each with its last message (one read for them all).
pub async fn with_last_messages(
    state: &AppState,
    company_id: i64,
    conversations: Vec<Conversation>,
) -> Result<Vec<Row>, Response> {
    let lasts = state
        .app
        .store
        .last_messages(company_id, conversations.iter().map(|c| c.id).collect())
        .await
        .map_err(|e| answers::store_failed(&e))?;
    Ok(conversations
        .into_iter()
        .zip(lasts)
        .map(|(conversation, last)| Row { conversation, last })
        .collect())
}

/// `GET /c/{company_id}/list`: one page of rows, and "load more" when more follow.
pub async fn list(
    State(state): State<AppState>,
    op: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params = match ListParams::read(&query) {
        Ok(p) => p,
        Err((name, why)) => return bad_param(name, &why),
    };
    let (rows, more) = match load_page(&state, &op, &params).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let directory = match Directory::members(&state, &op).await {
        Ok(d) => d,
        Err(response) => return response,
    };
    answers::html(
        StatusCode::OK,
        views::rows(&op, &directory, &params, &rows, more),
    )
}

/// `GET /c/{company_id}/tabs`: the tabs with their counts (on the channel filter's
/// channel), the current one checked.
pub async fn tabs(
    State(state): State<AppState>,
    op: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params = match ListParams::read(&query) {
        Ok(p) => p,
        Err((name, why)) => return bad_param(name, &why),
    };
    match state
        .app
        .store
        .count_conversations(op.company_id(), op.user_id(), params.channel)
        .await
    {
        Ok(counts) => answers::html(StatusCode::OK, views::tabs(&counts, params.tab)),
        Err(e) => answers::store_failed(&e),
    }
}

/// `GET /c/{company_id}/rows/{conversation_id}`: the conversation's row when it belongs
/// in the list the query describes, else an empty answer (the script then drops it).
pub async fn row(
    State(state): State<AppState>,
    op: Operator,
    Path((_, conversation_id)): Path<(i64, i64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params = match ListParams::read(&query) {
        Ok(p) => p,
        Err((name, why)) => return bad_param(name, &why),
    };
    let conversation = match state
        .app
        .store
        .get_conversation(op.company_id(), conversation_id)
        .await
    {
        Ok(Some(c)) if params.admits(&c, op.user_id()) => c,
        Ok(_) => return answers::html(StatusCode::OK, maud::html! {}),
        Err(e) => return answers::store_failed(&e),
    };
    let rows = match with_last_messages(&state, op.company_id(), vec![conversation]).await {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    let directory = match Directory::members(&state, &op).await {
        Ok(d) => d,
        Err(response) => return response,
    };
    answers::html(
        StatusCode::OK,
        maud::html! { @for r in &rows { (views::row(&op, &directory, r, false)) } },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<ListParams, (&'static str, String)> {
        ListParams::read(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn reads_the_list_and_names_bad_parameters() {
        let p = read(&[
            ("tab", "mine"),
            ("channel", "3"),
            ("q", "Иван"),
            ("after", "5.7"),
        ])
        .expect("read");
        assert_eq!(p.tab, Tab::Mine);
        assert_eq!(p.channel, Some(3));
        assert_eq!(p.after, Some((5, 7)));
        assert_eq!(p.filter(9).assignee, Some(AssigneeFilter::User(9)));
        assert!(p.search.is_some());
        assert_eq!(read(&[]).expect("default").tab, Tab::All);
        for (name, value) in [
            ("tab", "x"),
            ("channel", "-1"),
            ("channel", "a"),
            ("after", "1"),
            ("after", "a.b"),
        ] {
            assert_eq!(read(&[(name, value)]).err().map(|e| e.0), Some(name));
        }
        let long = "я".repeat(MAX_Q + 1);
        assert_eq!(read(&[("q", long.as_str())]).err().map(|e| e.0), Some("q"));
        let qs = read(&[("tab", "awaiting"), ("q", "a b&c")])
            .expect("read")
            .query_string();
        assert_eq!(qs, "tab=awaiting&q=a+b%26c");
    }
}
