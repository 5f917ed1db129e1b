//! The test site (a tiny HTTP server on 127.0.0.1) and helpers to wait for tab events.

use std::net::SocketAddr;
use std::time::Duration;

use browser::{
    Browser, Config, Frame, Input, Modifiers, MouseButton, MouseKind, PageInfo, Tab, TabEvent,
    TabOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) const FORM: &str = r#"<!doctype html><html><head><title>Form</title><style>
body { margin: 0; height: 3000px }
#btn { position: absolute; left: 10px; top: 10px; width: 100px; height: 40px }
#name { position: absolute; left: 10px; top: 70px; width: 300px; height: 30px }
#other { position: absolute; left: 10px; top: 120px; width: 300px; height: 30px }
#go { position: absolute; left: 10px; top: 170px; width: 100px; height: 30px }
</style></head><body>
<button id="btn" onclick="window.clicks = (window.clicks || 0) + 1">Click</button>
<form id="f" onsubmit="event.preventDefault(); window.submitted = document.getElementById('name').value">
<input id="name" autocomplete="off"><input id="other" autocomplete="off"><button id="go" type="submit">Go</button>
</form></body></html>"#;

pub(crate) const POPUP: &str = r#"<!doctype html><html><head><title>Popup</title><style>
body { margin: 0 }
#blank { position: absolute; left: 10px; top: 10px; width: 200px; height: 40px; display: block }
</style></head><body><a id="blank" href="/target" target="_blank">open</a></body></html>"#;

pub(crate) const TARGET: &str =
    "<!doctype html><html><head><title>Target</title></head><body>target page</body></html>";

pub(crate) const PLAIN: &str =
    "<!doctype html><html><head><title>Plain</title></head><body>plain page</body></html>";

/// A checkout without autocomplete attributes, for the guard: sensitive fields found by their
/// names, labels and placeholders, blocked and harmless buttons, the site's own marks, a
/// same-origin iframe with a card field and an iframe whose address `?port=` makes cross-origin.
pub(crate) const CHECKOUT: &str = r#"<!doctype html><html><head><title>Checkout</title><style>
body { margin: 0; height: 3000px; font: 14px sans-serif }
.f { position: absolute; left: 10px; width: 200px; height: 24px; box-sizing: border-box }
.b { position: absolute; width: 100px; height: 30px }
</style></head><body>
<form id="pay" onsubmit="event.preventDefault(); window.submitted = true">
<input class="f" id="cc-number" style="top: 10px">
<label for="kn" style="position: absolute; left: 220px; top: 50px">Kartennummer</label>
<input class="f" id="kn" style="top: 50px">
<input class="f" id="sec" placeholder="CVC" style="top: 90px">
<input class="f" id="acct" name="iban" style="top: 130px">
<input class="f" id="pw" type="password" style="top: 170px">
<input class="f" id="email" name="email" style="top: 210px">
<button class="b" id="paynow" type="button" style="left: 10px; top: 250px">Pay now</button>
<button class="b" id="continue" style="left: 120px; top: 250px">Continue</button>
</form>
<button class="b" id="cart" style="left: 10px; top: 300px; width: 120px">Add to cart</button>
<input type="checkbox" id="terms" style="position: absolute; left: 10px; top: 350px; margin: 0">
<label for="terms" id="terms-label" style="position: absolute; left: 40px; top: 350px">I accept the terms</label>
<div id="notes" data-beside-mask style="position: absolute; left: 10px; top: 400px; width: 200px; height: 40px">Customer notes</div>
<input class="f" id="demo-card" placeholder="Card number" data-beside-unmask style="top: 460px">
<button class="b" id="next" data-beside-block style="left: 10px; top: 500px">Next</button>
<input id="fixed-card" placeholder="Card number" style="position: fixed; left: 1000px; top: 10px; width: 150px; height: 24px; box-sizing: border-box">
<iframe id="same" src="/cardframe" style="position: absolute; left: 400px; top: 100px; width: 300px; height: 150px; border: 5px solid black; padding: 0"></iframe>
<iframe id="cross" style="position: absolute; left: 400px; top: 300px; width: 300px; height: 100px; border: 0"></iframe>
<script>
const port = new URLSearchParams(location.search).get("port");
if (port) document.getElementById("cross").src = "http://127.0.0.1:" + port + "/plain";
</script>
</body></html>"#;

/// A page that scrolls on every animation frame, each to its own offset, and changes the DOM
/// there too (so the guard measures right after the script, in that animation frame).
pub(crate) const SCROLLER: &str = r#"<!doctype html><html><head><title>Scroller</title></head>
<body style="margin: 0; height: 200000px">
<input id="cc-number" style="position: absolute; left: 10px; top: 50px">
<script>
let n = 0;
requestAnimationFrame(function step() {
  n += 1;
  window.scrollTo(0, (n % 20000) * 7);
  document.body.dataset.n = n;
  requestAnimationFrame(step);
});
</script></body></html>"#;

/// The inside of the checkout's same-origin iframe.
pub(crate) const CARD_FRAME: &str = r#"<!doctype html><html><body style="margin: 0">
<input id="inner" placeholder="Card number" style="position: absolute; left: 20px; top: 30px; width: 150px; height: 24px; box-sizing: border-box">
</body></html>"#;

/// Web components, a late-defined element, plain elements for company rules, and a title that
/// echoes an IBAN field.
pub(crate) const COMPONENTS: &str = r#"<!doctype html><html><head><title>Components</title><style>
body { margin: 0; height: 2000px; font: 14px sans-serif }
.abs { position: absolute; box-sizing: border-box }
</style></head><body>
<pay-box class="abs" id="box" style="left: 10px; top: 10px; width: 400px; height: 100px; display: block"></pay-box>
<late-card class="abs" id="late" style="left: 10px; top: 130px; width: 400px; height: 40px; display: block"></late-card>
<div class="abs" id="account-no" style="left: 10px; top: 200px; width: 300px; height: 30px">Account 12 34 56</div>
<div class="abs" id="other" style="left: 10px; top: 250px; width: 300px; height: 30px">Other text</div>
<button class="abs" id="wipe" style="left: 10px; top: 300px; width: 120px; height: 30px">Remove</button>
<input class="abs" id="iban" name="iban" style="left: 10px; top: 350px; width: 300px; height: 24px"
  oninput="document.title = 'Pay to ' + this.value">
<p class="abs" id="plain" style="left: 10px; top: 400px; width: 300px; height: 30px; margin: 0">Order 5521</p>
<script>
customElements.define("pay-box", class extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = '<style>input, button { position: absolute; box-sizing: border-box }</style>' +
      '<label for="sh-card">Card number</label>' +
      '<input id="sh-card" style="left: 0; top: 30px; width: 200px; height: 24px">' +
      '<button id="sh-pay" style="left: 220px; top: 30px; width: 100px; height: 30px">Pay now</button>';
  }
});
// Defined later: upgrading it attaches a shadow root without any change to the page's DOM.
setTimeout(() => customElements.define("late-card", class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" }).innerHTML =
      '<input type="password" id="late-pw" style="position: absolute; left: 0; top: 0; width: 200px; height: 24px; box-sizing: border-box">';
  }
}), 700);
</script>
</body></html>"#;

/// Native widgets: a select list with groups, a date field, and a card month (masked).
pub(crate) const WIDGETS: &str = r#"<!doctype html><html><head><title>Widgets</title><style>
body { margin: 0 } .w { position: absolute; left: 10px; width: 200px; height: 30px }
</style></head><body>
<select class="w" id="country" style="top: 10px" onchange="window.changes = (window.changes || 0) + 1">
<option value="">Choose</option><optgroup label="Europe"><option value="nl">Netherlands</option>
<option value="de">Germany</option></optgroup></select>
<input class="w" id="day" type="date" style="top: 60px" min="2026-01-01">
<select class="w" id="month" autocomplete="cc-exp-month" style="top: 110px"><option>01</option><option>02</option></select>
</body></html>"#;

/// A file input and two download links: a small file, and one larger than [`MAX_DOWNLOAD`].
pub(crate) const FILES: &str = r#"<!doctype html><html><head><title>Files</title><style>
body { margin: 0 } .w { position: absolute; left: 10px; width: 200px; height: 30px; display: block }
</style></head><body>
<input class="w" id="pick" type="file" multiple style="top: 10px"
  onchange="window.picked = [...this.files].map(f => f.name + ':' + f.size).join(',');
            this.files[0].text().then(t => window.first = t)">
<a class="w" id="small" href="/download" style="top: 60px">small</a>
<a class="w" id="big" href="/big" style="top: 110px">big</a>
</body></html>"#;

/// The body of `/download`.
pub(crate) const DOWNLOAD_BODY: &str = "the downloaded file";
/// The download limit of [`start`]'s browser; `/big` is twice as large.
pub(crate) const MAX_DOWNLOAD: u64 = 1024 * 1024;

/// A test site on 127.0.0.1:0 serving the pages above.
pub(crate) async fn serve_site() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let path = head.split(' ').nth(1).unwrap_or("/");
                let path = path.split('?').next().unwrap_or("/");
                let echo = format!("<pre>{}</pre>", head.to_ascii_lowercase().replace('<', "&lt;"));
                let attachment = |name: &str, body: Vec<u8>| {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                         Content-Disposition: attachment; filename=\"{name}\"\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    [head.into_bytes(), body].concat()
                };
                let download = match path {
                    "/download" => Some(attachment("report.txt", DOWNLOAD_BODY.into())),
                    "/big" => Some(attachment("big.bin", vec![7; 2 * MAX_DOWNLOAD as usize])),
                    _ => None,
                };
                if let Some(response) = download {
                    let _ = conn.write_all(&response).await;
                    let _ = conn.shutdown().await;
                    return;
                }
                let (status, body) = match path {
                    "/files" => ("200 OK", FILES),
                    "/form" => ("200 OK", FORM),
                    "/widgets" => ("200 OK", WIDGETS),
                    "/popup" => ("200 OK", POPUP),
                    "/checkout" => ("200 OK", CHECKOUT),
                    "/cardframe" => ("200 OK", CARD_FRAME),
                    "/components" => ("200 OK", COMPONENTS),
                    "/target" => ("200 OK", TARGET),
                    "/plain" | "/" => ("200 OK", PLAIN),
                    "/scroller" => ("200 OK", SCROLLER),
                    "/headers" => ("200 OK", echo.as_str()),
                    "/favicon.ico" => ("404 Not Found", ""),
                    _ => ("404 Not Found", "not found"),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    addr
}

/// The test site and a browser allowed to reach it.
pub(crate) async fn start() -> (Browser, SocketAddr) {
    let site = serve_site().await;
    let config = Config {
        allow_private: vec![site.to_string()],
        max_download_bytes: MAX_DOWNLOAD,
        ..Config::default()
    };
    let browser = Browser::launch(config).await.expect("chromium starts");
    (browser, site)
}

pub(crate) fn url(site: SocketAddr, path: &str) -> url::Url {
    url::Url::parse(&format!("http://{site}{path}")).unwrap()
}

pub(crate) fn options(url: url::Url) -> TabOptions {
    TabOptions {
        viewport: model::Viewport::DEFAULT,
        locale: model::Locale::default(),
        url,
        rules: Vec::new().into(),
        domains: Default::default(),
    }
}

/// Opens a tab and waits until its page has loaded.
pub(crate) async fn open(browser: &Browser, url: url::Url) -> (Tab, mpsc::Receiver<TabEvent>) {
    let (tab, mut rx) = browser.new_tab(options(url.clone())).await.expect("tab opens");
    let want = url.to_string();
    wait_page(&mut rx, |p| p.url == want && !p.loading).await;
    (tab, rx)
}

/// Waits for a page event matching `pred`, skipping others.
pub(crate) async fn wait_page(
    rx: &mut mpsc::Receiver<TabEvent>,
    pred: impl Fn(&PageInfo) -> bool,
) -> PageInfo {
    let mut seen = Vec::new();
    let res = tokio::time::timeout(WAIT, async {
        loop {
            match rx.recv().await {
                Some(TabEvent::Page(p)) => {
                    if pred(&p) {
                        return p;
                    }
                    seen.push(p);
                }
                Some(_) => {}
                None => panic!("tab events ended"),
            }
        }
    })
    .await;
    match res {
        Ok(p) => p,
        Err(_) => panic!("no matching page event; seen: {seen:?}"),
    }
}

/// Waits for a frame matching `pred`.
pub(crate) async fn wait_frame(
    rx: &mut mpsc::Receiver<TabEvent>,
    pred: impl Fn(&Frame) -> bool,
) -> Frame {
    tokio::time::timeout(WAIT, async {
        loop {
            match rx.recv().await {
                Some(TabEvent::Frame(f)) if pred(&f) => return f,
                Some(_) => {}
                None => panic!("tab events ended"),
            }
        }
    })
    .await
    .expect("a matching frame arrives")
}

/// Evaluates `js` until it returns `want`.
pub(crate) async fn eventually(tab: &Tab, js: &str, want: serde_json::Value) {
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        last = tab.evaluate(js).await.expect("script runs");
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{js} stayed {last}, expected {want}");
}

/// A left click at (x, y) as a mouse makes it: move, press, release.
pub(crate) async fn click(tab: &Tab, x: f64, y: f64) {
    let mouse = |kind, button, buttons| Input::Mouse {
        kind,
        x,
        y,
        button,
        buttons,
        click_count: 1,
        modifiers: Modifiers::default(),
    };
    tab.dispatch(mouse(MouseKind::Move, MouseButton::None, 0)).await.unwrap();
    tab.dispatch(mouse(MouseKind::Down, MouseButton::Left, 1)).await.unwrap();
    tab.dispatch(mouse(MouseKind::Up, MouseButton::Left, 0)).await.unwrap();
}

pub(crate) async fn key(
    tab: &Tab,
    key: &str,
    code: &str,
    text: Option<&str>,
    modifiers: Modifiers,
) {
    for down in [true, false] {
        let input = Input::Key {
            down,
            key: key.into(),
            code: code.into(),
            text: text.map(Into::into),
            modifiers,
        };
        tab.dispatch(input).await.unwrap();
    }
}

/// Types each character as a key press, as a client's keyboard would.
pub(crate) async fn type_keys(tab: &Tab, text: &str) {
    for c in text.chars() {
        let code = match c {
            'a'..='z' => format!("Key{}", c.to_ascii_uppercase()),
            'A'..='Z' => format!("Key{c}"),
            ',' => "Comma".into(),
            ' ' => "Space".into(),
            _ => String::new(),
        };
        let shift = c.is_ascii_uppercase();
        let s = c.to_string();
        key(tab, &s, &code, Some(&s), Modifiers { shift, ..Modifiers::default() }).await;
    }
}

pub(crate) async fn shortcut(tab: &Tab, letter: char) {
    let ctrl = Modifiers { ctrl: true, ..Modifiers::default() };
    let code = format!("Key{}", letter.to_ascii_uppercase());
    tab.dispatch(Input::Key {
        down: true,
        key: "Control".into(),
        code: "ControlLeft".into(),
        text: None,
        modifiers: ctrl,
    })
    .await
    .unwrap();
    key(tab, &letter.to_string(), &code, None, ctrl).await;
    tab.dispatch(Input::Key {
        down: false,
        key: "Control".into(),
        code: "ControlLeft".into(),
        text: None,
        modifiers: Modifiers::default(),
    })
    .await
    .unwrap();
}
