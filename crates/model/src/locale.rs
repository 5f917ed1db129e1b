//! The customer's languages and time zone, which the cloud browser takes on (F14).

use serde::{Deserialize, Serialize};

/// What the cloud browser presents to websites as its people's own settings: the language
/// list (`Accept-Language`, `navigator.languages`; the first is the locale of `Intl`) and the
/// time zone (`Intl`, `Date`). Values are checked by `policy::locale` before they get here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locale {
    /// BCP 47 language tags, most preferred first; empty keeps the browser's own.
    pub languages: Vec<String>,
    /// An IANA time zone name such as `Europe/Amsterdam`; `None` keeps the server's.
    pub time_zone: Option<String>,
}

impl Locale {
    /// The locale of `Intl` and `navigator.language`: the first language.
    pub fn primary(&self) -> Option<&str> {
        self.languages.first().map(String::as_str)
    }
}
