//! The bench's own test pages, and the tiny HTTP server that serves them on 127.0.0.1.
//!
//! Every page is made for a 1280×720 viewport. The probe page's regions are known here
//! so the detectors know where to look.

use crate::pixels::Region;
use anyhow::Context;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The probe page's big square: a click toggles it between the two `PALETTE` colours.
pub(crate) const TOGGLE: Region = Region { x: 40.0, y: 120.0, width: 560.0, height: 480.0 };
/// The probe page's text field: typed characters show 120 px tall, without a caret.
pub(crate) const FIELD: Region = Region { x: 680.0, y: 200.0, width: 560.0, height: 180.0 };
/// The toggle's colours: first red (on load), then blue.
pub(crate) const PALETTE: [[u8; 3]; 2] = [[214, 40, 40], [29, 78, 216]];
/// A part of the form page's header without text, and its colour: a frame that shows
/// it shows the page (not a blank, loading or hidden frame).
pub(crate) const FORM_HEADER: Region = Region { x: 900.0, y: 0.0, width: 380.0, height: 56.0 };
pub(crate) const FORM_HEADER_COLOUR: [u8; 3] = [36, 65, 94];
/// The form page's comment box, where the standard workload types.
pub(crate) const FORM_COMMENT: (f64, f64) = (400.0, 420.0);

/// A page's path and the title the page reports once it has loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Probe,
    /// The probe page with a script that measures its elements on every animation frame,
    /// as beside's guard does: the limit on it shows what such a loop costs by itself.
    ProbeLoop,
    /// The probe page with nothing focused: no caret blinks, so the page is still until
    /// someone clicks (the capacity ramp's sessions).
    Square,
    Animation,
    Long,
    Spinner,
    Form,
    /// A long payment page: card and password fields (masked for agents) between paragraphs,
    /// so a scroll moves masked fields through the view.
    Checkout,
    /// A big select list at `SELECT` (its press opens a picker).
    Select,
    /// A big link at `LINK` that opens the form page in a new tab (`target=_blank`).
    Opener,
    /// The animation with a link at `LINK` that opens another animation in a new tab.
    AnimationTab,
    /// A 5 MB PDF of 50 pages (`document_pdf`), served as `application/pdf`.
    Document,
}

impl Page {
    pub(crate) fn path(self) -> &'static str {
        match self {
            Page::Probe => "/probe",
            Page::ProbeLoop => "/probe-loop",
            Page::Square => "/square",
            Page::Animation => "/animation",
            Page::Long => "/long",
            Page::Spinner => "/spinner",
            Page::Form => "/form",
            Page::Checkout => "/checkout",
            Page::Select => "/select",
            Page::Opener => "/opener",
            Page::AnimationTab => "/animation-tab",
            Page::Document => "/document.pdf",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Page::Probe => "bench probe",
            Page::ProbeLoop => "bench probe with a frame loop",
            Page::Square => "bench square",
            Page::Animation => "bench animation",
            Page::Long => "bench long page",
            Page::Spinner => "bench spinner",
            Page::Form => "bench form",
            Page::Checkout => "bench checkout",
            Page::Select => "bench select",
            Page::Opener => "bench opener",
            Page::AnimationTab => "bench animation with a link",
            Page::Document => "document.pdf",
        }
    }

    fn html(self) -> String {
        match self {
            Page::Probe => probe_html(Page::Probe),
            Page::ProbeLoop => probe_html(Page::ProbeLoop),
            Page::Square => probe_html(Page::Square),
            Page::Animation => ANIMATION_HTML.to_owned(),
            Page::Long => long_html(),
            Page::Spinner => SPINNER_HTML.to_owned(),
            Page::Form => FORM_HTML.to_owned(),
            Page::Checkout => checkout_html(),
            Page::Select => select_html(),
            Page::Opener => opener_html(),
            Page::Document => document_pdf(),
            Page::AnimationTab => ANIMATION_HTML
                .replace(
                    "<title>bench animation</title>",
                    "<title>bench animation with a link</title>",
                )
                .replace(
                    "<canvas id=\"c\"></canvas>",
                    &format!("<canvas id=\"c\"></canvas>{}", link_html("/animation")),
                ),
        }
    }

    fn all() -> [Page; 12] {
        [
            Page::Probe,
            Page::ProbeLoop,
            Page::Square,
            Page::Animation,
            Page::Long,
            Page::Spinner,
            Page::Form,
            Page::Checkout,
            Page::Select,
            Page::Opener,
            Page::AnimationTab,
            Page::Document,
        ]
    }
}

/// Where the PDF's first page shows in the viewer once drawn: inside its magenta block,
/// whether the viewer fits the page to the width or shows it at 100 %.
pub(crate) const DOCUMENT_BLOCK: Region =
    Region { x: 440.0, y: 250.0, width: 400.0, height: 220.0 };
/// The block's colour, and the viewer's background before a page is drawn.
pub(crate) const DOCUMENT_PALETTE: [[u8; 3]; 2] = [[82, 86, 89], [255, 0, 255]];
const DOCUMENT_PAGES: usize = 50;
/// Each page's drawing is this long, so the file is about 5 MB.
const DOCUMENT_PAGE_BYTES: usize = 100_000;

/// A PDF of `DOCUMENT_PAGES` letter-size pages, written by hand (ASCII only): each has a
/// magenta block over its top 70 % and, below it, small rectangles in many colours until its
/// drawing is `DOCUMENT_PAGE_BYTES` long. No form: agents see it by default.
fn document_pdf() -> String {
    let font = 3 + 2 * DOCUMENT_PAGES;
    let mut objects: Vec<String> = Vec::new();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..DOCUMENT_PAGES).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {DOCUMENT_PAGES} >>", kids.join(" ")));
    for i in 0..DOCUMENT_PAGES {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
             /Resources << /Font << /F1 {font} 0 R >> >> >>",
            4 + 2 * i
        ));
        let mut content = format!(
            "1 0 1 rg 0 238 612 554 re f BT /F1 24 Tf 0 g 40 200 Td (Page {}) Tj ET\n",
            i + 1
        );
        let mut n = 0usize;
        while content.len() < DOCUMENT_PAGE_BYTES {
            let (x, y) = (20 + (n * 7) % 570, 20 + (n * 13) % 160);
            let shade = |k: usize| ((n * k + i * 31) % 100) as f64 / 100.0;
            content.push_str(&format!(
                "{:.2} {:.2} {:.2} rg {x} {y} 4 3 re f\n",
                shade(3),
                shade(7),
                shade(11)
            ));
            n += 1;
        }
        objects.push(format!("<< /Length {} >>\nstream\n{content}endstream", content.len()));
    }
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned());
    let mut out = String::from("%PDF-1.7\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out
}

/// Where the select page's list is, in the viewport.
pub(crate) const SELECT: Region = Region { x: 200.0, y: 200.0, width: 600.0, height: 80.0 };
/// Where the opener pages' link is, in the viewport.
pub(crate) const LINK: Region = Region { x: 900.0, y: 560.0, width: 320.0, height: 100.0 };

fn select_html() -> String {
    let s = SELECT;
    let options: String =
        (0..40).map(|i| format!("<option value=\"c{i}\">Country {i}</option>")).collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>body{{margin:0;font:20px sans-serif}}
select{{position:absolute;left:{}px;top:{}px;width:{}px;height:{}px;font:28px sans-serif}}</style>
</head><body><select id="country">{options}</select></body></html>"#,
        Page::Select.title(),
        s.x,
        s.y,
        s.width,
        s.height
    )
}

/// A fixed link at `LINK` to `href` in a new tab, over whatever the page shows.
fn link_html(href: &str) -> String {
    let l = LINK;
    format!(
        r#"<a href="{href}" target="_blank" style="position:fixed;left:{}px;top:{}px;width:{}px;height:{}px;background:#fff;color:#123;font:bold 32px sans-serif;display:flex;align-items:center;justify-content:center">Open</a>"#,
        l.x, l.y, l.width, l.height
    )
}

fn opener_html() -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>html,body{{margin:0;height:100%;background:#eee}}</style></head><body>{}</body></html>"#,
        Page::Opener.title(),
        link_html(Page::Form.path())
    )
}

fn probe_html(page: Page) -> String {
    let frame_loop = if page == Page::ProbeLoop {
        "function measure() {\n  for (const el of document.querySelectorAll(\"input,div\")) el.getBoundingClientRect();\n  \
         requestAnimationFrame(measure);\n}\nrequestAnimationFrame(measure);\n"
    } else {
        ""
    };
    let [r, b] = PALETTE.map(|[r, g, b]| format!("rgb({r},{g},{b})"));
    let t = TOGGLE;
    let f = FIELD;
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
html,body{{margin:0;height:100%;overflow:hidden;background:#fff;font:20px sans-serif;color:#222}}
#toggle{{position:absolute;left:{tx}px;top:{ty}px;width:{tw}px;height:{th}px;background:{r};cursor:pointer}}
#toggle.on{{background:{b}}}
#field{{position:absolute;left:{fx}px;top:{fy}px;width:{fw}px;height:{fh}px;box-sizing:border-box;
  border:2px solid #444;padding:0 16px;font:bold 120px monospace;caret-color:transparent;outline:none;background:#fff;color:#111}}
.label{{position:absolute;top:60px}}
</style></head><body>
<div class="label" style="left:{tx}px">Colour square</div>
<div class="label" style="left:{fx}px;top:140px">Notes</div>
<div id="toggle"></div>
<input id="field" aria-label="Notes" autocomplete="off" spellcheck="false">
<script>
const toggle = document.getElementById("toggle");
const field = document.getElementById("field");
// Keep the focus in the text field: the square is only a target.
toggle.addEventListener("mousedown", (e) => e.preventDefault());
toggle.addEventListener("click", () => toggle.classList.toggle("on"));
field.addEventListener("input", () => {{ if (field.value.length > 6) field.value = field.value.slice(-1); }});
{focus}{frame_loop}</script></body></html>"#,
        title = page.title(),
        focus = if page == Page::Square { "" } else { "field.focus();\n" },
        tx = t.x,
        ty = t.y,
        tw = t.width,
        th = t.height,
        fx = f.x,
        fy = f.y,
        fw = f.width,
        fh = f.height,
    )
}

const ANIMATION_HTML: &str = r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>bench animation</title>
<style>html,body{margin:0;height:100%;overflow:hidden}canvas{display:block}</style></head><body>
<canvas id="c"></canvas>
<script>
// Every animation frame repaints the whole viewport: a moving gradient, drifting discs and
// a counter, so each screencast frame differs everywhere (a worst case for the stream).
const c = document.getElementById("c");
const ctx = c.getContext("2d");
const discs = Array.from({ length: 48 }, (_, i) => ({
  x: (i * 97) % 1280, y: (i * 53) % 720, vx: 2 + (i % 5), vy: 1 + (i % 3), r: 20 + (i % 7) * 6, h: (i * 37) % 360,
}));
let n = 0;
function draw() {
  c.width = innerWidth; c.height = innerHeight;
  const g = ctx.createLinearGradient(0, 0, c.width, c.height);
  g.addColorStop(0, `hsl(${n % 360},60%,55%)`);
  g.addColorStop(1, `hsl(${(n + 180) % 360},60%,45%)`);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, c.width, c.height);
  for (const d of discs) {
    d.x = (d.x + d.vx) % (c.width + 2 * d.r); d.y = (d.y + d.vy) % (c.height + 2 * d.r);
    ctx.fillStyle = `hsl(${(d.h + n) % 360},70%,60%)`;
    ctx.beginPath(); ctx.arc(d.x - d.r, d.y - d.r, d.r, 0, 7); ctx.fill();
  }
  ctx.fillStyle = "#fff"; ctx.font = "bold 96px sans-serif"; ctx.fillText(String(n), 40, 120);
  n++;
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
</script></body></html>"##;

const SPINNER_HTML: &str = r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>bench spinner</title>
<style>
body{margin:0;font:18px/1.5 sans-serif;color:#222;background:#f7f7f5}
header{background:#24415e;color:#fff;padding:16px 40px;font-size:24px}
main{padding:24px 40px;max-width:900px}
.spinner{width:40px;height:40px;border:5px solid #ccd;border-top-color:#24415e;border-radius:50%;
  animation:spin 0.9s linear infinite;display:inline-block;vertical-align:middle;margin-right:12px}
@keyframes spin{to{transform:rotate(360deg)}}
</style></head><body>
<header>Order status</header>
<main><p><span class="spinner"></span>Checking your order, this can take a moment.</p>
<p>While the page waits for an answer only the small spinner moves: a page that is mostly
still, as many are while a customer and an agent talk.</p></main>
</body></html>"##;

const FORM_HTML: &str = r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>bench form</title>
<style>
body{margin:0;font:18px/1.4 sans-serif;color:#222;background:#fff}
header{background:#24415e;color:#fff;padding:16px 40px;font-size:24px}
form{padding:24px 40px;display:grid;grid-template-columns:200px 700px;gap:16px 24px;align-items:center}
input,textarea{font:20px sans-serif;padding:8px;border:1px solid #888;border-radius:4px}
textarea{height:160px}
</style></head><body>
<header>Change your delivery address</header>
<form onsubmit="return false">
<label for="name">Name</label><input id="name" autocomplete="off">
<label for="street">Street</label><input id="street" autocomplete="off">
<label for="city">City</label><input id="city" autocomplete="off">
<label for="comment">Comment for the courier</label><textarea id="comment"></textarea>
</form></body></html>"##;

fn checkout_html() -> String {
    let mut body = String::with_capacity(20_000);
    for block in 0..12 {
        body.push_str(&format!(
            "<h2>Step {block}</h2><p>Check the amount and the delivery before you pay. The \
             parcel leaves our store within two days of the payment.</p>\
             <label>Card number <input autocomplete=\"cc-number\" value=\"4111 1111 1111 1111\"></label>\
             <label>Name on the card <input autocomplete=\"cc-name\" value=\"Ada Lovelace\"></label>\
             <label>Password <input type=\"password\" value=\"secret-{block}\"></label>"
        ));
    }
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>body{{margin:0 auto;max-width:900px;padding:0 40px;font:18px/1.5 sans-serif;color:#222}}
label{{display:block;margin:12px 0}}input{{display:block;font:20px sans-serif;padding:8px;width:420px}}
h2{{font:bold 24px sans-serif;margin:40px 0 8px}}</style>
</head><body>{body}</body></html>"#,
        Page::Checkout.title()
    )
}

fn long_html() -> String {
    const WORDS: [&str; 24] = [
        "delivery", "order", "account", "the", "parcel", "arrives", "within", "three", "days",
        "and", "your", "address", "can", "be", "changed", "until", "it", "ships", "from", "our",
        "store", "with", "tracking", "updates",
    ];
    let mut body = String::with_capacity(200_000);
    for section in 0..150 {
        let hue = (section * 47) % 360;
        body.push_str(&format!(
            "<h2>Section {section}</h2><div class=\"bar\" style=\"background:hsl({hue},45%,70%)\"></div><p>"
        ));
        for w in 0..90 {
            body.push_str(WORDS[(section * 7 + w * 5) % WORDS.len()]);
            body.push(' ');
        }
        body.push_str("</p>");
    }
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>body{{margin:0 auto;max-width:960px;padding:0 40px;font:18px/1.6 serif;color:#222}}
.bar{{height:40px;border-radius:6px}}h2{{font:bold 26px sans-serif;margin:32px 0 12px}}</style>
</head><body>{body}</body></html>"#,
        Page::Long.title()
    )
}

/// The page server: answers GET for each page, 404 for anything else, one request per
/// connection.
pub(crate) struct PageServer {
    pub(crate) addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl PageServer {
    pub(crate) async fn start() -> anyhow::Result<PageServer> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen for the test pages on 127.0.0.1")?;
        let addr = listener.local_addr().context("the page server has no address")?;
        let pages: std::sync::Arc<Vec<(&'static str, String)>> =
            std::sync::Arc::new(Page::all().into_iter().map(|p| (p.path(), p.html())).collect());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let pages = pages.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut len = 0;
                    while len < buf.len() {
                        match stream.read(&mut buf[len..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => len += n,
                        }
                        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let response = respond(&buf[..len], &pages);
                    let _ = stream.write_all(&response).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Ok(PageServer { addr, task })
    }

    pub(crate) fn url(&self, page: Page) -> String {
        format!("http://{}{}", self.addr, page.path())
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The whole HTTP response to one request head.
fn respond(head: &[u8], pages: &[(&str, String)]) -> Vec<u8> {
    let head = String::from_utf8_lossy(head);
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default();
    let found = pages.iter().find(|(p, _)| *p == path).map(|(_, html)| html.as_str());
    let (status, body) = match (method, found) {
        ("GET", Some(html)) => ("200 OK", html),
        ("GET", None) => ("404 Not Found", "not found"),
        _ => ("405 Method Not Allowed", "only GET"),
    };
    let content_type =
        if path.ends_with(".pdf") { "application/pdf" } else { "text/html; charset=utf-8" };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_served_by_path_and_nothing_else() {
        let pages: Vec<(&str, String)> = Page::all().map(|p| (p.path(), p.html())).into();
        let ok = String::from_utf8(respond(b"GET /probe HTTP/1.1\r\n\r\n", &pages)).unwrap();
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("<title>bench probe</title>"));
        assert!(ok.contains("left:40px;top:120px;width:560px;height:480px"), "{ok}");
        let missing = String::from_utf8(respond(b"GET /favicon.ico HTTP/1.1\r\n\r\n", &pages));
        assert!(missing.unwrap().starts_with("HTTP/1.1 404"));
        let post = String::from_utf8(respond(b"POST /probe HTTP/1.1\r\n\r\n", &pages));
        assert!(post.unwrap().starts_with("HTTP/1.1 405"));
        assert!(String::from_utf8(respond(b"", &pages)).unwrap().starts_with("HTTP/1.1 405"));
    }

    #[test]
    fn the_document_is_a_5_mb_pdf_of_50_pages_served_as_one() {
        let pdf = Page::Document.html();
        assert!(pdf.starts_with("%PDF-1.7\n") && pdf.ends_with("%%EOF\n"));
        assert!((5_000_000..5_400_000).contains(&pdf.len()), "{} bytes", pdf.len());
        assert_eq!(pdf.matches("/Type /Page ").count(), 50);
        let pages = vec![(Page::Document.path(), pdf)];
        let head = String::from_utf8(respond(b"GET /document.pdf?n=3 HTTP/1.1\r\n\r\n", &pages));
        assert!(head.unwrap().contains("Content-Type: application/pdf\r\n"));
    }

    #[test]
    fn every_page_names_itself_in_its_title() {
        for page in Page::all().into_iter().filter(|p| *p != Page::Document) {
            assert!(page.html().contains(&format!("<title>{}</title>", page.title())), "{page:?}");
        }
    }
}
