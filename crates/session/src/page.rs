//! What the session needs of the cloud browser, as three small traits: `CloudBrowser` opens a
//! session's browser context and checks selectors, `PageContext` is that context (where more
//! tabs open), `Page` is one open page. `browser::{Browser, Context, Tab}` are the real ones;
//! `fake` has fakes for the engine's unit tests.
//!
//! The methods return boxed futures so that the traits can be used as `dyn` objects: the engine
//! holds `Arc<dyn Page>` and never names the browser crate's handle types.

use browser::{
    BrowserError, FocusState, HitTest, Input, Inspected, Matches, PickRefusal, Recovery, Selection,
    TabEvent, TabOptions, UploadFile,
};
use model::{FileChooserId, PickerChoice, PickerId, Viewport};
use policy::rules::CompanyRule;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a page or browser operation returns.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, BrowserError>> + Send + 'a>>;

/// A page that was opened, and its events.
pub(crate) type Opened = (Arc<dyn Page>, mpsc::Receiver<TabEvent>);

/// A tab a page opened (a link to a new tab, `window.open`).
pub(crate) struct Popup {
    pub(crate) opened: Opened,
    /// Opened by a Ctrl-click or a middle click: it stays in the background.
    pub(crate) background: bool,
}

/// A session's browser context that was opened: the context, the tabs its pages open, and its
/// first tab (at the start address, streaming).
pub(crate) struct OpenedContext {
    pub(crate) context: Arc<dyn PageContext>,
    pub(crate) popups: mpsc::Receiver<Popup>,
    pub(crate) first: Opened,
}

/// The browser context of a session: the cookies and storage its tabs share.
pub(crate) trait PageContext: Send + Sync {
    /// Opens another tab at `url`, not streaming.
    fn open_tab<'a>(&'a self, url: &'a url::Url) -> Answer<'a, Opened>;
    /// Disposes of the context: every tab, cookie, storage and cache goes.
    fn close(&self) -> Answer<'_, ()>;
}

/// One page of a session, in its own browser context.
pub(crate) trait Page: Send + Sync {
    /// Feeds one input event to the page (see `browser::Tab::dispatch`).
    fn dispatch(&self, input: Input) -> Answer<'_, ()>;
    fn navigate<'a>(&'a self, url: &'a url::Url) -> Answer<'a, ()>;
    fn back(&self) -> Answer<'_, ()>;
    fn forward(&self) -> Answer<'_, ()>;
    fn reload(&self) -> Answer<'_, ()>;
    fn set_viewport(&self, viewport: Viewport) -> Answer<'_, ()>;
    /// Starts or stops the screencast (only the tab people look at streams).
    fn set_streaming(&self, on: bool) -> Answer<'_, ()>;
    /// Takes on the customer's languages and time zone.
    fn set_locale<'a>(&'a self, locale: &'a model::Locale) -> Answer<'a, ()>;
    /// Gives the page's guard the company's new rules.
    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()>;
    /// What is at a point of the viewport, as the guard sees it now.
    fn hit_test(&self, x: f64, y: f64) -> Answer<'_, HitTest>;
    /// The element at a point and its ancestors, for a point-and-click rule.
    fn inspect(&self, x: f64, y: f64) -> Answer<'_, Vec<Inspected>>;
    /// What a selector finds in the page now.
    fn count_matches<'a>(&'a self, selector: &'a str) -> Answer<'a, Matches>;
    /// What keys typed now would reach, as the guard sees it now.
    fn focus_state(&self) -> Answer<'_, FocusState>;
    /// What a copy would take now, as the guard sees it.
    fn selection(&self) -> Answer<'_, Selection>;
    fn delete_selection(&self) -> Answer<'_, ()>;
    /// Applies a choice to an open picker (see `browser::Tab::choose`).
    fn choose<'a>(
        &'a self,
        id: PickerId,
        choice: &'a PickerChoice,
        by_agent: bool,
    ) -> Answer<'a, Result<(), PickRefusal>>;
    /// Closes an open picker without a choice.
    fn dismiss_picker(&self, id: PickerId) -> Answer<'_, ()>;
    /// Gives files to the page's file chooser (see `browser::Tab::set_files`).
    fn set_files(&self, chooser: FileChooserId, files: Vec<UploadFile>) -> Answer<'_, ()>;
    /// Asks the guard to measure the page on its next animation frame, without waiting for
    /// it; false when there is no guard to ask yet.
    fn wake_guard(&self) -> bool;
    /// Whether the page has a dialog open (its input waits until it is answered).
    fn has_dialog(&self) -> bool;
    /// Answers the page's open dialog (see `browser::Tab::answer_dialog`).
    fn answer_dialog<'a>(&'a self, accept: bool, prompt_text: Option<&'a str>) -> Answer<'a, ()>;
    /// Answers a site's sign-in prompt (see `browser::Tab::answer_sign_in`).
    fn answer_sign_in<'a>(
        &'a self,
        sign_in: &'a browser::SignIn,
        credentials: Option<&'a model::Credentials>,
    ) -> Answer<'a, ()>;
    /// Makes a page that did not answer in time answer again (see `browser::Tab::recover`).
    fn recover(&self) -> Answer<'_, Recovery>;
    /// Loads a page that does not answer again, losing what was entered in it; returns once
    /// the reload was asked for, or after `within` (see `browser::Tab::restart`).
    fn restart(&self, within: std::time::Duration) -> Answer<'_, ()>;
    /// Whether the page answers a trivial probe within `within` (see
    /// `browser::Tab::answers_within`).
    fn answers_within(&self, within: std::time::Duration) -> Answer<'_, bool>;
    /// One picture of the page as it is drawn now (see `browser::Tab::capture`).
    fn capture(&self) -> Answer<'_, browser::Frame>;
    /// Closes the page.
    fn close(&self) -> Answer<'_, ()>;
}

/// The cloud browser, as the engine uses it.
pub(crate) trait CloudBrowser: Send + Sync {
    /// Opens a fresh browser context with a first tab at `opts.url`.
    fn open(&self, opts: TabOptions) -> Answer<'_, OpenedContext>;
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

    fn set_locale<'a>(&'a self, locale: &'a model::Locale) -> Answer<'a, ()> {
        Box::pin(browser::Tab::set_locale(self, locale))
    }

    fn set_streaming(&self, on: bool) -> Answer<'_, ()> {
        Box::pin(browser::Tab::set_streaming(self, on))
    }

    fn set_company_rules<'a>(&'a self, rules: &'a [CompanyRule]) -> Answer<'a, ()> {
        Box::pin(browser::Tab::set_company_rules(self, rules))
    }

    fn hit_test(&self, x: f64, y: f64) -> Answer<'_, HitTest> {
        Box::pin(browser::Tab::hit_test(self, x, y))
    }

    fn inspect(&self, x: f64, y: f64) -> Answer<'_, Vec<Inspected>> {
        Box::pin(browser::Tab::inspect(self, x, y))
    }

    fn count_matches<'a>(&'a self, selector: &'a str) -> Answer<'a, Matches> {
        Box::pin(browser::Tab::count_matches(self, selector))
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

    fn choose<'a>(
        &'a self,
        id: PickerId,
        choice: &'a PickerChoice,
        by_agent: bool,
    ) -> Answer<'a, Result<(), PickRefusal>> {
        Box::pin(browser::Tab::choose(self, id, choice, by_agent))
    }

    fn dismiss_picker(&self, id: PickerId) -> Answer<'_, ()> {
        Box::pin(browser::Tab::dismiss_picker(self, id))
    }

    fn set_files(&self, chooser: FileChooserId, files: Vec<UploadFile>) -> Answer<'_, ()> {
        Box::pin(browser::Tab::set_files(self, chooser, files))
    }

    fn wake_guard(&self) -> bool {
        browser::Tab::wake_guard(self)
    }

    fn has_dialog(&self) -> bool {
        browser::Tab::has_dialog(self)
    }

    fn answer_dialog<'a>(&'a self, accept: bool, prompt_text: Option<&'a str>) -> Answer<'a, ()> {
        Box::pin(browser::Tab::answer_dialog(self, accept, prompt_text))
    }

    fn answer_sign_in<'a>(
        &'a self,
        sign_in: &'a browser::SignIn,
        credentials: Option<&'a model::Credentials>,
    ) -> Answer<'a, ()> {
        Box::pin(browser::Tab::answer_sign_in(self, sign_in, credentials))
    }

    fn recover(&self) -> Answer<'_, Recovery> {
        Box::pin(browser::Tab::recover(self))
    }

    fn restart(&self, within: std::time::Duration) -> Answer<'_, ()> {
        Box::pin(async move {
            browser::Tab::restart(self, within).await;
            Ok(())
        })
    }

    fn answers_within(&self, within: std::time::Duration) -> Answer<'_, bool> {
        Box::pin(async move { Ok(browser::Tab::answers_within(self, within).await) })
    }

    fn capture(&self) -> Answer<'_, browser::Frame> {
        Box::pin(browser::Tab::capture(self))
    }

    fn close(&self) -> Answer<'_, ()> {
        Box::pin(browser::Tab::close(self))
    }
}

impl PageContext for browser::Context {
    fn open_tab<'a>(&'a self, url: &'a url::Url) -> Answer<'a, Opened> {
        Box::pin(async move {
            let (tab, events) = browser::Context::open_tab(self, url, false).await?;
            Ok((Arc::new(tab) as Arc<dyn Page>, events))
        })
    }

    fn close(&self) -> Answer<'_, ()> {
        Box::pin(async move {
            browser::Context::close(self).await;
            Ok(())
        })
    }
}

/// Tabs a page opened wait here for the session; more, and the newest are closed.
const POPUP_QUEUE: usize = 16;

impl CloudBrowser for browser::Browser {
    fn open(&self, opts: TabOptions) -> Answer<'_, OpenedContext> {
        Box::pin(async move {
            let (context, mut new_tabs) = self.new_context(&opts).await?;
            let (tab, events) = context.open_tab(&opts.url, true).await?;
            let (popups_tx, popups) = mpsc::channel(POPUP_QUEUE);
            // The session speaks of pages, not of the browser's tabs.
            tokio::spawn(async move {
                while let Some(new) = new_tabs.recv().await {
                    let popup = Popup {
                        opened: (Arc::new(new.tab) as Arc<dyn Page>, new.events),
                        background: new.background,
                    };
                    if let Err(refused) = popups_tx.try_send(popup) {
                        let popup = match refused {
                            mpsc::error::TrySendError::Full(p)
                            | mpsc::error::TrySendError::Closed(p) => p,
                        };
                        let _ = popup.opened.0.close().await;
                    }
                }
            });
            Ok(OpenedContext {
                context: Arc::new(context),
                popups,
                first: (Arc::new(tab) as Arc<dyn Page>, events),
            })
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
