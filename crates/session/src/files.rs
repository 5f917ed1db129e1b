//! The files of a session (F11): the file chooser the page opened, which only the customer
//! answers, and the files the page downloaded, offered to the customer through single-use links
//! that expire. Agents learn that a file went in or out (a line in the chat), never the file.
//!
//! The files themselves are in the browser context's own directory and go with it when the
//! session ends; this keeps only what the session needs to hand them over.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use model::{FileChooserId, TabId};
use protocol::{DownloadOffer, ServerMessage};
use tokio::time::Instant;

/// Download links a session keeps; past it, the oldest goes (its file stays until the end).
const MAX_OFFERS: usize = 100;

/// Why files were not given to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("only the customer gives files to the page")]
    NotCustomer,
    #[error("the page is not asking for files (the chooser closed or was never open)")]
    UnknownChooser,
    #[error("this file chooser takes one file")]
    TooManyFiles,
    #[error("no file was given")]
    NoFiles,
    #[error("the page is busy")]
    Busy,
    #[error("the session has ended")]
    SessionEnded,
}

/// Why a download link gives nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("there is no such download")]
    NotFound,
    #[error("this download link was used already")]
    Used,
    #[error("this download link has expired")]
    Expired,
    #[error("the session has ended")]
    SessionEnded,
}

/// A downloaded file, handed over for its single use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFile {
    pub name: String,
    pub size: u64,
    pub path: PathBuf,
}

/// The file chooser open now.
#[derive(Debug, Clone)]
pub(crate) struct OpenChooser {
    pub(crate) tab: TabId,
    pub(crate) id: FileChooserId,
    pub(crate) multiple: bool,
    /// The page's address when it opened: another one closes it.
    url: String,
}

impl OpenChooser {
    pub(crate) fn message(&self) -> ServerMessage {
        ServerMessage::FileChooser { chooser: self.id, multiple: self.multiple }
    }
}

struct Offered {
    file: DownloadFile,
    offer: DownloadOffer,
    expires: Instant,
    taken: bool,
    /// Order of offering, to drop the oldest.
    n: u64,
}

pub(crate) struct Files {
    chooser: Option<OpenChooser>,
    offers: HashMap<String, Offered>,
    link_ttl: Duration,
    n_offered: u64,
}

impl Files {
    pub(crate) fn new(link_ttl: Duration) -> Files {
        Files { chooser: None, offers: HashMap::new(), link_ttl, n_offered: 0 }
    }

    /// A chooser opened in `tab` at `url`; returns the one it replaces.
    pub(crate) fn open_chooser(
        &mut self,
        tab: TabId,
        id: FileChooserId,
        multiple: bool,
        url: &str,
    ) -> (&OpenChooser, Option<OpenChooser>) {
        let before = self.chooser.take();
        let open = self.chooser.insert(OpenChooser { tab, id, multiple, url: url.to_owned() });
        (open, before)
    }

    pub(crate) fn chooser(&self) -> Option<&OpenChooser> {
        self.chooser.as_ref()
    }

    /// Closes chooser `id` when it is the open one; true when it was.
    pub(crate) fn close_chooser(&mut self, id: FileChooserId) -> bool {
        if self.chooser.as_ref().is_some_and(|c| c.id == id) {
            self.chooser = None;
            return true;
        }
        false
    }

    /// Tab `tab` is at `url` now (or gone, `None`): a chooser of another page of it closes.
    /// Returns the chooser that closed.
    pub(crate) fn page_moved(&mut self, tab: TabId, url: Option<&str>) -> Option<FileChooserId> {
        let open = self.chooser.as_ref()?;
        if open.tab != tab || url.is_some_and(|url| url == open.url) {
            return None;
        }
        self.chooser.take().map(|c| c.id)
    }

    /// The files of an upload, checked against the open chooser: the tab to give them to.
    pub(crate) fn check_upload(
        &self,
        id: FileChooserId,
        n_files: usize,
    ) -> Result<TabId, UploadError> {
        let open =
            self.chooser.as_ref().filter(|c| c.id == id).ok_or(UploadError::UnknownChooser)?;
        if n_files == 0 {
            return Err(UploadError::NoFiles);
        }
        if n_files > 1 && !open.multiple {
            return Err(UploadError::TooManyFiles);
        }
        Ok(open.tab)
    }

    /// Offers a downloaded file: its link's token is new, and good once until it expires.
    pub(crate) fn offer(&mut self, file: DownloadFile, now: Instant, now_ms: i64) -> DownloadOffer {
        if self.offers.len() >= MAX_OFFERS {
            let oldest = self.offers.iter().min_by_key(|(_, o)| o.n).map(|(t, _)| t.clone());
            if let Some(oldest) = oldest {
                self.offers.remove(&oldest);
            }
        }
        let ttl_ms = i64::try_from(self.link_ttl.as_millis()).unwrap_or(i64::MAX);
        let offer = DownloadOffer {
            token: model::random_token(),
            name: file.name.clone(),
            size: file.size,
            expires_at_ms: now_ms.saturating_add(ttl_ms),
        };
        self.n_offered += 1;
        let offered = Offered {
            file,
            offer: offer.clone(),
            expires: now + self.link_ttl,
            taken: false,
            n: self.n_offered,
        };
        self.offers.insert(offer.token.clone(), offered);
        offer
    }

    /// The offers whose links still work, oldest first (for a customer who reconnects).
    pub(crate) fn live_offers(&self, now: Instant) -> Vec<DownloadOffer> {
        let mut live: Vec<&Offered> =
            self.offers.values().filter(|o| !o.taken && o.expires > now).collect();
        live.sort_by_key(|o| o.n);
        live.into_iter().map(|o| o.offer.clone()).collect()
    }

    /// Uses the link `token`: its file, once.
    pub(crate) fn take(
        &mut self,
        token: &str,
        now: Instant,
    ) -> Result<DownloadFile, DownloadError> {
        let offered = self.offers.get_mut(token).ok_or(DownloadError::NotFound)?;
        if offered.taken {
            return Err(DownloadError::Used);
        }
        if offered.expires <= now {
            return Err(DownloadError::Expired);
        }
        offered.taken = true;
        Ok(offered.file.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> DownloadFile {
        DownloadFile { name: name.into(), size: 3, path: PathBuf::from("/x").join(name) }
    }

    #[test]
    fn a_download_link_works_once_and_until_it_expires() {
        let mut files = Files::new(Duration::from_secs(60));
        let now = Instant::now();
        let a = files.offer(file("a.pdf"), now, 1_000);
        assert_eq!((a.name.as_str(), a.size, a.expires_at_ms), ("a.pdf", 3, 61_000));
        let b = files.offer(file("b.pdf"), now, 1_000);
        assert_ne!(a.token, b.token);
        assert_eq!(files.live_offers(now), vec![a.clone(), b.clone()]);

        assert_eq!(files.take(&a.token, now).unwrap(), file("a.pdf"));
        assert_eq!(files.take(&a.token, now), Err(DownloadError::Used));
        assert_eq!(files.live_offers(now), vec![b.clone()]);
        let later = now + Duration::from_secs(60);
        assert_eq!(files.take(&b.token, later), Err(DownloadError::Expired));
        assert_eq!(files.take("nope", now), Err(DownloadError::NotFound));
        assert!(files.live_offers(later).is_empty());
    }

    #[test]
    fn only_so_many_links_are_kept() {
        let mut files = Files::new(Duration::from_secs(60));
        let now = Instant::now();
        let first = files.offer(file("0"), now, 0);
        for n in 1..=MAX_OFFERS {
            files.offer(file(&n.to_string()), now, 0);
        }
        assert_eq!(files.live_offers(now).len(), MAX_OFFERS);
        assert_eq!(files.take(&first.token, now), Err(DownloadError::NotFound));
    }

    #[test]
    fn uploads_go_to_the_open_chooser_only() {
        let mut files = Files::new(Duration::from_secs(60));
        let (one, many) = (FileChooserId(1), FileChooserId(2));
        assert_eq!(files.check_upload(one, 1), Err(UploadError::UnknownChooser));
        files.open_chooser(TabId(1), one, false, "https://a/");
        assert_eq!(files.check_upload(one, 1), Ok(TabId(1)));
        assert_eq!(files.check_upload(one, 2), Err(UploadError::TooManyFiles));
        assert_eq!(files.check_upload(one, 0), Err(UploadError::NoFiles));
        let (_, replaced) = files.open_chooser(TabId(2), many, true, "https://b/");
        assert_eq!(replaced.map(|c| c.id), Some(one));
        assert_eq!(files.check_upload(one, 1), Err(UploadError::UnknownChooser));
        assert_eq!(files.check_upload(many, 3), Ok(TabId(2)));

        // Another address of its tab closes it; another tab's does not.
        assert_eq!(files.page_moved(TabId(1), Some("https://c/")), None);
        assert_eq!(files.page_moved(TabId(2), Some("https://b/")), None);
        assert_eq!(files.page_moved(TabId(2), Some("https://c/")), Some(many));
        assert!(files.chooser().is_none());
        files.open_chooser(TabId(2), one, false, "https://b/");
        assert!(files.close_chooser(one));
        assert!(!files.close_chooser(one));
    }
}
