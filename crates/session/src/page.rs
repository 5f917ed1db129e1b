//! What the session needs of the cloud browser, as two small traits: `CloudBrowser` opens pages
//! and checks selectors, `Page` is one open page. `browser::Browser` and `browser::Tab` are the
//! real ones; `fake` has a fake pair for the engine's unit tests.
//!
//! The methods return boxed futures so that the traits can be used as `dyn` objects: the engine
//! holds `Arc<dyn Page>` and never names the browser crate's handle types.

use browser::{BrowserError, FocusState, HitTest, Input, Selection, TabEvent, TabOptions};
use model::Viewport;
use policy::rules::CompanyRule;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a page or browser operation returns.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, BrowserError>> + Send + 'a>>;

/// A page that was opened, and its events.
pub(crate) type Opened = (Arc<dyn Page>, mpsc::Receiver<TabEvent>);

/// One page of a session, in its own browser context.
pub(crate) trait Page: Send + Sync {
    /// Feeds one input event to the page (see `browser::Tab::dispatch`).
    fn dispatch(&self, input: Input) -> Answer<'_, ()>;
    fn navigate<'a>(&'a self, url: &'a url::Url) -> Answer<'a, ()>;
    fn back(&self) -> Answer<'_, ()>;
    fn forward(&self) -> Answer<'_, ()>;
    fn reload(&self) -> Answer<'_, ()>;
    fn set_viewport(&self, viewport: Viewport) -> Answer<'_, ()>;
    /// Gives the page's guard the company's new rules.
    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()>;
    /// What is at a point of the viewport, as the guard sees it now.
    fn hit_test(&self, x: f64, y: f64) -> Answer<'_, HitTest>;
    /// What keys typed now would reach, as the guard sees it now.
    fn focus_state(&self) -> Answer<'_, FocusState>;
    /// What a copy would take now, as the guard sees it.
    fn selection(&self) -> Answer<'_, Selection>;
    fn delete_selection(&self) -> Answer<'_, ()>;
    /// Asks the guard to measure the page on its next animation frame, without waiting for
    /// it; false when there is no guard to ask yet.
    fn wake_guard(&self) -> bool;
    /// Closes the page and disposes of its browser context.
    fn close(&self) -> Answer<'_, ()>;
}

/// The cloud browser, as the engine uses it.
pub(crate) trait CloudBrowser: Send + Sync {
    /// Opens a page in a fresh browser context.
    fn open(&self, opts: TabOptions) -> Answer<'_, Opened>;
    /// Chromium's verdict on each selector: `None` when it parses, or its reason.
    fn check_selectors<'a>(&'a self, selectors: &'a [&'a str]) -> Answer<'a, Vec<Option<String>>>;
    /// Whether the browser is up (for readiness).
    fn is_healthy(&self) -> bool;
    /// Whether a connection from `peer` was opened by the cloud browser.
    fn is_own_connection(&self, peer: std::net::SocketAddr) -> bool;
}

impl Page for browser::Tab {
    fn dispatch(&self, input: Input) -> Answer<'_, ()> {
        Box::pin(browser::Tab::dispatch(self, input))
    }

    fn navigate<'a>(&'a self, url: &'a url::Url) -> Answer<'a, ()> {
        Box::pin(browser::Tab::navigate(self, url))
    }

    fn back(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::back(self))
    }

    fn forward(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::forward(self))
    }

    fn reload(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::reload(self))
    }

    fn set_viewport(&self, viewport: Viewport) -> Answer<'_, ()> {
        Box::pin(browser::Tab::set_viewport(self, viewport))
    }

    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()> {
        Box::pin(browser::Tab::set_company_rules(self, rules))
    }

    fn hit_test(&self, x: f64, y: f64) -> Answer<'_, HitTest> {
        Box::pin(browser::Tab::hit_test(self, x, y))
    }

    fn focus_state(&self) -> Answer<'_, FocusState> {
        Box::pin(browser::Tab::focus_state(self))
    }

    fn selection(&self) -> Answer<'_, Selection> {
        Box::pin(browser::Tab::selection(self))
    }

    fn delete_selection(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::delete_selection(self))
    }

    fn wake_guard(&self) -> bool {
        browser::Tab::wake_guard(self)
    }

    fn close(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::close(self))
    }
}

impl CloudBrowser for browser::Browser {
    fn open(&self, opts: TabOptions) -> Answer<'_, Opened> {
        Box::pin(async move {
            let (tab, events) = self.new_tab(opts).await?;
            Ok((Arc::new(tab) as Arc<dyn Page>, events))
        })
    }

    fn check_selectors<'a>(&'a self, selectors: &'a [&'a str]) -> Answer<'a, Vec<Option<String>>> {
        Box::pin(browser::Browser::check_selectors(self, selectors))
    }

    fn is_healthy(&self) -> bool {
        browser::Browser::is_healthy(self)
    }

    fn is_own_connection(&self, peer: std::net::SocketAddr) -> bool {
        browser::Browser::is_own_connection(self, peer)
    }
}
