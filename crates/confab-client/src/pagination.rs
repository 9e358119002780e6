//! Lists: the page parameters, one page, and a stream that follows `next_page` to the end.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Client;
use crate::error::{Error, Result};

/// The order of a list: by id (messages: by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    /// Oldest first (the server's default).
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

/// Which page of a list to read: `from` (a `next_page` token), `per` (1..=100, the
/// server's default is 50) and the sort direction.
///
/// ```
/// use confab_client::ListParams;
///
/// let newest_ten = ListParams::new().per(10).descending();
/// assert_eq!(newest_ten.per, Some(10));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListParams {
    /// Continue after this `next_page` token; `None` for the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Items per page, 1..=100 (the server answers 400 naming `per` otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per: Option<u32>,
    /// The order; `None` leaves the server's default (ascending).
    #[serde(rename = "sort_direction", skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortDirection>,
}

impl ListParams {
    /// The first page, server defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Items per page (1..=100).
    #[must_use]
    pub fn per(mut self, per: u32) -> Self {
        self.per = Some(per);
        self
    }

    /// Continue after a `next_page` token (sets `from`).
    #[must_use]
    pub fn after(mut self, token: impl Into<String>) -> Self {
        self.from = Some(token.into());
        self
    }

    /// The given order.
    #[must_use]
    pub fn sort(mut self, direction: SortDirection) -> Self {
        self.sort = Some(direction);
        self
    }

    /// Newest first.
    #[must_use]
    pub fn descending(self) -> Self {
        self.sort(SortDirection::Desc)
    }

    /// Oldest first.
    #[must_use]
    pub fn ascending(self) -> Self {
        self.sort(SortDirection::Asc)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The token of the next page; `None` on the last one.
    pub next_page: Option<String>,
}

impl<T> Page<T> {
    /// The parameters of the page after this one (same size and order), or `None` when
    /// this is the last page.
    pub fn next_params(&self, current: &ListParams) -> Option<ListParams> {
        let token = self.next_page.clone()?;
        Some(current.clone().after(token))
    }
}

/// The `data` of a list answer: a resource-named array and `next_page`.
pub(crate) trait ListData: DeserializeOwned + Send + 'static {
    /// What the list holds.
    type Item: Send + 'static;
    /// The page, whatever the array is called.
    fn into_page(self) -> Page<Self::Item>;
}

macro_rules! list_data {
    ($list:ty, $item:ty, $field:ident) => {
        impl ListData for $list {
            type Item = $item;
            fn into_page(self) -> Page<$item> {
                Page {
                    items: self.$field,
                    next_page: self.next_page,
                }
            }
        }
    };
}

list_data!(confab_wire::CompanyList, confab_wire::Company, companies);
list_data!(confab_wire::ChannelList, confab_wire::Channel, channels);
list_data!(
    confab_wire::ConversationList,
    confab_wire::Conversation,
    conversations
);
list_data!(confab_wire::MessageList, confab_wire::Message, messages);
list_data!(confab_wire::MemberList, confab_wire::Member, members);
list_data!(
    confab_wire::WebhookDeliveryList,
    confab_wire::WebhookDelivery,
    webhook_deliveries
);

impl Client {
    /// One page of the list at `path`.
    pub(crate) async fn page<L: ListData>(
        &self,
        path: &str,
        params: &ListParams,
    ) -> Result<Page<L::Item>> {
        let request = self.request(reqwest::Method::GET, path)?.query(params);
        let data: L = self.data(request).await?;
        Ok(data.into_page())
    }

    /// Every item of the list at `path`, page after page.
    pub(crate) fn items<L: ListData>(
        &self,
        path: String,
        params: ListParams,
    ) -> ItemStream<L::Item> {
        let client = self.clone();
        let pages = stream::try_unfold(Some(params), move |next| {
            let client = client.clone();
            let path = path.clone();
            async move {
                let Some(params) = next else {
                    return Ok::<_, Error>(None);
                };
                let page = client.page::<L>(&path, &params).await?;
                // A token equal to the one just sent would loop forever: stop instead.
                let following = page.next_params(&params).filter(|p| p.from != params.from);
                Ok(Some((page.items, following)))
            }
        });
        ItemStream {
            inner: pages
                .map_ok(|items| stream::iter(items.into_iter().map(Ok::<_, Error>)))
                .try_flatten()
                .boxed(),
        }
    }
}

/// Every item of a list, fetched a page at a time as the stream is read: a
/// [`futures_util::Stream`] of `Result<T>`. It ends after the last page, or after the first
/// error.
///
/// ```no_run
/// use confab_client::ListParams;
/// use futures_util::TryStreamExt;
/// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
/// let mut conversations = client.conversations(1).stream(ListParams::new().per(100));
/// while let Some(conversation) = conversations.try_next().await? {
///     println!("{} {}", conversation.external_id, conversation.name);
/// }
/// // or all at once:
/// let companies = client.companies().stream(ListParams::new()).collect_all().await?;
/// # Ok(()) }
/// ```
pub struct ItemStream<T> {
    inner: BoxStream<'static, Result<T>>,
}

impl<T> ItemStream<T> {
    /// Reads the whole list into memory.
    ///
    /// # Errors
    /// The first error of any page.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        self.inner.try_collect().await
    }
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream").finish_non_exhaustive()
    }
}
