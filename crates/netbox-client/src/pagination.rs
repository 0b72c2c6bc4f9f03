//! List queries (filters, `fields=`, `brief=`) and lazy pagination.

use std::collections::HashSet;
use std::fmt;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::Method;
use ipnetwork::IpNetwork;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{Endpoint, NetBoxClient};
use crate::error::{Error, Result};

/// How to walk a long list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pagination {
    /// `limit=`/`offset=` (every NetBox version). Offsets shift if objects are created or
    /// deleted while listing.
    #[default]
    Offset,
    /// `start=<id>` cursor (NetBox ≥ 4.6): ordered by id, stable under concurrent writes, no
    /// `count`. Cannot be combined with `ordering=`.
    Cursor,
}

/// Which VRF a filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VrfFilter {
    /// The global table (`vrf_id=null`).
    Global,
    /// One VRF by id.
    Id(u64),
}

impl fmt::Display for VrfFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VrfFilter::Global => f.write_str("null"),
            VrfFilter::Id(id) => write!(f, "{id}"),
        }
    }
}

/// Filters and shape of a list request. Repeating a filter key sends it twice (NetBox ORs
/// repeated `status`/`vrf_id`, and ANDs repeated `tag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    params: Vec<(String, String)>,
    fields: Option<Vec<String>>,
    brief: bool,
    page_size: Option<usize>,
    pagination: Pagination,
}

impl ListQuery {
    /// An empty query (every object, full representation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Any filter `key=value` (e.g. `q`, `mask_length`, `id__gte`).
    pub fn param(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.params.push((key.into(), value.to_string()));
        self
    }

    /// Objects inside this prefix, across VRFs unless combined with [`ListQuery::vrf`].
    pub fn parent(self, prefix: IpNetwork) -> Self {
        self.param("parent", prefix)
    }

    /// Restricts to a VRF or the global table; call twice to OR two of them.
    pub fn vrf(self, vrf: VrfFilter) -> Self {
        self.param("vrf_id", vrf)
    }

    /// Restricts to a status value (repeat to OR).
    pub fn status(self, status: impl Into<String>) -> Self {
        self.param("status", status.into())
    }

    /// Restricts to objects carrying this tag slug (repeat to AND). An unknown slug is a 400.
    pub fn tag(self, slug: impl Into<String>) -> Self {
        self.param("tag", slug.into())
    }

    /// Custom field filter `cf_<name>=<value>`; `None` matches objects where it is unset.
    pub fn custom_field(self, name: &str, value: Option<&str>) -> Self {
        self.param(format!("cf_{name}"), value.unwrap_or("null"))
    }

    /// Only these fields in each object (`fields=`); nested objects come back brief.
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// The brief representation (`brief=1`).
    pub fn brief(mut self) -> Self {
        self.brief = true;
        self
    }

    /// Objects per page for this query (overrides the client default; 1–1000).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = Some(n.clamp(1, crate::config::DEFAULT_PAGE_SIZE));
        self
    }

    /// Offset or cursor pagination.
    pub fn pagination(mut self, p: Pagination) -> Self {
        self.pagination = p;
        self
    }

    /// The pagination mode of this query.
    pub fn pagination_mode(&self) -> Pagination {
        self.pagination
    }

    /// The query pairs as sent for the first page.
    pub fn to_pairs(&self, default_page_size: usize) -> Vec<(String, String)> {
        let mut out = self.params.clone();
        if let Some(f) = &self.fields {
            out.push(("fields".into(), f.join(",")));
        }
        if self.brief {
            out.push(("brief".into(), "1".into()));
        }
        out.push((
            "limit".into(),
            self.page_size.unwrap_or(default_page_size).to_string(),
        ));
        if self.pagination == Pagination::Cursor {
            out.push(("start".into(), "0".into()));
        }
        out
    }
}

/// One page of a NetBox list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    /// Total objects matching (absent with cursor pagination).
    #[serde(default)]
    pub count: Option<u64>,
    /// Absolute URL of the next page.
    #[serde(default)]
    pub next: Option<String>,
    /// The objects of this page.
    pub results: Vec<T>,
}

struct PageState {
    client: NetBoxClient,
    path: String,
    /// The next page to fetch, or the error to report once the current page was yielded.
    next: Option<Result<Url>>,
    seen: HashSet<String>,
}

/// Checks a `next` link: same origin and under the base path, and not seen before.
pub(crate) fn check_next(base: &Url, link: &str, seen: &HashSet<String>) -> Result<Url> {
    let url = Url::parse(link).map_err(|_| Error::ForeignNext {
        next: link.to_owned(),
    })?;
    if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
        return Err(Error::ForeignNext {
            next: link.to_owned(),
        });
    }
    if seen.contains(url.as_str()) {
        return Err(Error::PaginationLoop {
            next: link.to_owned(),
        });
    }
    Ok(url)
}

impl<T: DeserializeOwned + Send + 'static> Endpoint<T> {
    /// The pages of a list, fetched lazily one after the other.
    pub fn pages(&self, query: &ListQuery) -> BoxStream<'static, Result<Page<T>>> {
        let first = self.client.url(&self.path).map(|mut u| {
            u.query_pairs_mut()
                .extend_pairs(query.to_pairs(self.client.inner.page_size));
            u
        });
        let first = match first {
            Ok(u) => u,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let state = PageState {
            client: self.client.clone(),
            path: self.path.clone(),
            next: Some(Ok(first)),
            seen: HashSet::new(),
        };
        stream::try_unfold(state, |mut st| async move {
            let url = match st.next.take() {
                None => return Ok(None),
                Some(next) => next?,
            };
            st.seen.insert(url.as_str().to_owned());
            let raw = st.client.send(Method::GET, url, None, None).await?;
            let page: Page<T> = st.client.decode(&st.path, &raw.body)?;
            if let Some(link) = &page.next {
                if page.results.is_empty() {
                    // An empty page that still points onwards would never end.
                    return Err(Error::PaginationLoop { next: link.clone() });
                }
                // Yield this page first; a bad link fails the following poll.
                st.next = Some(check_next(&st.client.inner.base, link, &st.seen));
            }
            Ok(Some((page, st)))
        })
        .boxed()
    }

    /// Every object of a list as a lazy stream (pages are fetched as the stream is polled).
    pub fn list(&self, query: &ListQuery) -> BoxStream<'static, Result<T>> {
        self.pages(query)
            .map_ok(|p| stream::iter(p.results.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Collects a whole list.
    pub async fn list_all(&self, query: &ListQuery) -> Result<Vec<T>> {
        self.list(query).try_collect().await
    }

    /// The first object matching the query, if any (fetches one page of size 1).
    pub async fn first(&self, query: &ListQuery) -> Result<Option<T>> {
        let q = query.clone().page_size(1);
        let mut pages = self.pages(&q);
        match pages.try_next().await? {
            Some(p) => Ok(p.results.into_iter().next()),
            None => Ok(None),
        }
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: u64,
}

impl<T> Endpoint<T> {
    /// The ids of every matching object, lazily (`fields=id`: the cheapest listing; use it to
    /// collect ids for a bulk delete). Any `fields=`/`brief` in `query` is replaced.
    pub fn ids(&self, query: &ListQuery) -> BoxStream<'static, Result<u64>> {
        let mut q = query.clone().fields(["id"]);
        q.brief = false;
        let ep: Endpoint<IdOnly> = self.client.endpoint(self.path.clone());
        ep.list(&q).map_ok(|o| o.id).boxed()
    }

    /// How many objects match (one request, `limit=1&fields=id`).
    pub async fn count(&self, query: &ListQuery) -> Result<u64> {
        let q = query
            .clone()
            .fields(["id"])
            .page_size(1)
            .pagination(Pagination::Offset);
        let mut u = self.client.url(&self.path)?;
        u.query_pairs_mut().extend_pairs(q.to_pairs(1));
        let raw = self.client.send(Method::GET, u, None, None).await?;
        let page: Page<serde::de::IgnoredAny> = self.client.decode(&self.path, &raw.body)?;
        page.count.ok_or_else(|| Error::Decode {
            path: self.path.clone(),
            json_path: "count".into(),
            message: "missing count".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_origin_and_base_path() {
        let base = Url::parse("https://nb.example.com/netbox/").unwrap();
        let seen = HashSet::new();
        assert!(
            check_next(
                &base,
                "https://nb.example.com/netbox/api/x/?offset=2",
                &seen
            )
            .is_ok()
        );
        for bad in [
            "http://nb.example.com/netbox/api/x/",
            "https://evil.example.com/netbox/api/x/",
            "https://nb.example.com:8443/netbox/api/x/",
            "https://nb.example.com/other/api/x/",
            "not a url",
        ] {
            assert!(
                matches!(
                    check_next(&base, bad, &seen),
                    Err(Error::ForeignNext { .. })
                ),
                "{bad}"
            );
        }
        let mut seen = HashSet::new();
        seen.insert("https://nb.example.com/netbox/api/x/?offset=2".to_owned());
        assert!(matches!(
            check_next(
                &base,
                "https://nb.example.com/netbox/api/x/?offset=2",
                &seen
            ),
            Err(Error::PaginationLoop { .. })
        ));
    }

    #[test]
    fn query_pairs() {
        let q = ListQuery::new()
            .vrf(VrfFilter::Global)
            .vrf(VrfFilter::Id(3))
            .custom_field("dhcp_client_id", None)
            .fields(["id", "address"])
            .pagination(Pagination::Cursor);
        let pairs = q.to_pairs(1000);
        let s: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            s,
            [
                "vrf_id=null",
                "vrf_id=3",
                "cf_dhcp_client_id=null",
                "fields=id,address",
                "limit=1000",
                "start=0"
            ]
        );
        assert_eq!(
            ListQuery::new()
                .page_size(5000)
                .to_pairs(7)
                .last()
                .unwrap()
                .1,
            "1000"
        );
    }
}
