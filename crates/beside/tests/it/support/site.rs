//! A small local web site the cloud browser visits in tests, and a canary that counts
//! every connection made to it (it must stay at zero when the egress filter works).

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct TestSite {
    pub addr: SocketAddr,
}

const PAGES: &[(&str, &str)] = &[
    // A big button: every click puts the click count in the title.
    (
        "click",
        r#"<title>clicks:0</title><button id=b style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="document.title='clicks:'+(++window.n||(window.n=1))">press</button>
           <script>window.n=0</script>"#,
    ),
    // A tall phone page whose title says what touches and clicks it got: whether it has
    // touch (`ontouchstart`, `maxTouchPoints`, a coarse pointer), touch starts, moves and
    // ends, the most fingers at once, the last click's pointer type, the scroll offset, long
    // presses (context menus) and the pinch-zoom scale.
    (
        "touch",
        r#"<meta name=viewport content="width=device-width,initial-scale=1"><title>touch</title>
           <style>body{margin:0;height:4000px;background:repeating-linear-gradient(#fff 0 50px,#cde 50px 100px)}</style>
           <script>
           const n={s:0,m:0,e:0,f:0,c:'-',l:0};
           const show=()=>{document.title=['cap='+('ontouchstart' in window)+'/'+navigator.maxTouchPoints+'/'+matchMedia('(pointer: coarse)').matches,
             's='+n.s,'m='+n.m,'e='+n.e,'f='+n.f,'c='+n.c,'l='+n.l,'y='+Math.round(scrollY),'z='+visualViewport.scale.toFixed(1)].join(' ')};
           addEventListener('touchstart',e=>{n.s++;n.f=Math.max(n.f,e.touches.length);show()});
           addEventListener('touchmove',e=>{n.m++;n.f=Math.max(n.f,e.touches.length);show()});
           addEventListener('touchend',()=>{n.e++;show()});
           addEventListener('click',e=>{n.c=e.pointerType||'none';show()});
           addEventListener('contextmenu',e=>{e.preventDefault();n.l++;show()});
           addEventListener('scroll',show);visualViewport.addEventListener('resize',show);show();
           </script>"#,
    ),
    // A phone page with a card field (its value in magenta) between green bars; its title
    // says the pinch-zoom scale once it changes.
    (
        "touch-card",
        r#"<meta name=viewport content="width=device-width,initial-scale=1"><title>card</title>
           <style>body{margin:0;font:20px sans-serif;height:2000px;background:#fff}.bar{height:40px;background:#00c000;margin:20px 0}
           .s{color:#ff00ff;font:bold 28px monospace;border:1px solid #999;width:300px;height:44px;margin-left:40px}</style>
           <div class=bar></div><p>Card</p><input class=s name=ccnum value="4111111111111111"><div class=bar></div>
           <script>visualViewport.addEventListener('resize',()=>{document.title='card z='+visualViewport.scale.toFixed(1)})</script>"#,
    ),
    // A text field whose value becomes the title; Enter in it submits to ?q=.
    (
        "type",
        r#"<title>empty</title><form action="/typed"><input id=i name=q autofocus style="font-size:40px;width:90vw"
           oninput="document.title=this.value||'empty'"></form>"#,
    ),
    ("typed", r#"<title>submitted</title><p>thanks</p>"#),
    // An image from the address in `?src=`: a sub-resource of another site.
    (
        "embed",
        r#"<title>embedding</title><img id=i onload="document.title='img loaded'"
           onerror="document.title='img failed'"><script>
           i.src=new URLSearchParams(location.search).get('src')</script>"#,
    ),
    // Sets a cookie and local storage, then says so.
    (
        "set-state",
        r#"<title>setting</title><script>document.cookie='beside_test=secret; path=/; max-age=3600';
           localStorage.setItem('k','v'); document.title='state set';</script>"#,
    ),
    // Shows what cookie and local storage this browser context has.
    (
        "show-state",
        r#"<title>reading</title><script>document.title='cookie=['+document.cookie+'] ls=['+(localStorage.getItem('k')||'')+']';</script>"#,
    ),
    // Double-click, right-click and drag-selection each put what happened in the title.
    (
        "gestures",
        r#"<title>none</title><p id=t style="font:40px monospace;margin:20px;user-select:text">selectable words here</p>
           <script>
           addEventListener('dblclick',()=>{document.title='dblclick'});
           addEventListener('contextmenu',e=>{e.preventDefault();document.title='contextmenu'});
           addEventListener('mouseup',e=>{const s=getSelection().toString();if(e.button===0&&s.length>3)document.title='selected:'+s});
           </script>"#,
    ),
    // A still form: three sensitive fields (values in magenta) between labels and ordinary
    // text, on a long striped page. Nothing moves unless the customer scrolls.
    (
        "still-form",
        r#"<title>form</title><style>
           body{margin:0;font:20px sans-serif;background:#fff;color:#000}
           p{margin:22px 16px}
           .s{color:#ff00ff;font:bold 26px monospace;border:1px solid #999;width:340px;height:42px}
           .bar{height:36px;width:520px;background:#00c000}
           </style>
           <p>Delivery and payment</p><div class=bar></div>
           <p><label for=cc>Card number</label> <input class=s id=cc name=ccnum value="4111111111111111"></p>
           <p>Name on the card <input id=nm name=fullname style="width:340px;font:24px serif" value="Ann Smith"></p>
           <p><label for=cvc>CVC</label> <input class=s id=cvc name=cvc value="123"></p>
           <div class=bar></div>
           <p><label for=iban>IBAN</label> <input class=s id=iban name=iban value="DE89370400440532013000"></p>
           <p><button id=pay style="font:22px sans-serif">Pay now</button></p>
           <div style="height:1600px;background:repeating-linear-gradient(#fff 0 40px,#dde 40px 80px)"></div>"#,
    ),
    // A checkout shaped like real ones (no autocomplete attributes). Sensitive values are
    // drawn in magenta (#ff00ff), which nothing else on the page uses; the green bar proves
    // the agent sees the page itself. It scrolls, shifts its layout and animates, and a card
    // field hops to one of twelve places each frame from an animation-frame callback.
    (
        "leaky-checkout",
        r#"<title>checkout</title><style>
           body{margin:0;font:18px sans-serif;background:#fff}
           .s{color:#ff00ff;caret-color:#ff00ff;font:bold 28px monospace;border:1px solid #999;width:360px;height:44px}
           #green{background:#00c000;height:40px;width:300px;position:fixed;left:0;bottom:0}
           #spin{position:fixed;right:20px;bottom:20px;width:40px;height:40px;background:#0000c0;animation:r 1s linear infinite}
           @keyframes r{to{transform:rotate(360deg)}}
           #slide{animation:m 2s ease-in-out infinite alternate}
           @keyframes m{to{transform:translateX(120px)}}
           #sticky{position:sticky;top:0;background:#eee;padding:4px}
           </style>
           <div id=green></div><div id=shift></div>
           <div id=sticky>Card on file: <input class=s id=cardOnFile name=card_number value="4111111111111111"></div>
           <form id=f action="/paid"><p><label for=a>Kartennummer</label> <input class=s id=a name=kn></p>
           <p>Card number <input class=s id="cc-number" name="ccnum"></p>
           <div id=slide><p>CVC <input class=s placeholder="CVC" name="sec"></p></div>
           <p>IBAN <input class=s name="iban" id="iban"></p>
           <p>Password <input class=s type=password name="pw" id="pw"></p>
           <p>Email <input id=email name=email style="width:360px"></p>
           <button id=pay type=submit>Pay now</button></form>
           <div style="height:1600px"></div>
           <div id=spin></div>
           <p style="position:fixed;left:0;top:150px;margin:0"><input class=s id=hopper name=cardnumber2 value="4000056655665556"></p>
           <iframe id=xo style="width:420px;height:80px;border:0"></iframe>
           <script>
           setInterval(()=>{const d=document.getElementById('shift');d.style.height=(d.offsetHeight?0:90)+'px'},700);
           let hop=0;requestAnimationFrame(function f(){const k=hop++%12;document.getElementById('hopper').style.transform='translate('+(k%4)*300+'px,'+Math.floor(k/4)*100+'px)';requestAnimationFrame(f)});
           const u=new URL(location.href);document.getElementById('xo').src='http://'+u.hostname+':'+(u.searchParams.get('xo')||'1')+'/card-frame';
           </script>"#,
    ),
    // Only a card field that a script moves to one of twelve places on every animation frame.
    (
        "hopper",
        r#"<title>hopper</title><style>body{margin:0;background:#fff}
           .s{color:#ff00ff;font:bold 28px monospace;border:1px solid #999;width:360px;height:44px}
           #green{background:#00c000;height:40px;width:300px;position:fixed;left:0;bottom:0}</style>
           <div id=green></div>
           <p style="position:fixed;left:0;top:100px;margin:0"><input class=s id=hopper name=cardnumber value="4000056655665556"></p>
           <script>let hop=0;requestAnimationFrame(function f(){const k=hop++%12;document.getElementById('hopper').style.transform='translate('+(k%4)*300+'px,'+Math.floor(k/4)*150+'px)';requestAnimationFrame(f)});</script>"#,
    ),
    // A card field that stays still, then moves on two animation frames running and stays
    // still again, over and over: the first place it moves to is painted in the frame in which
    // the script moved it, and the script moves it again before the next one.
    (
        "jumper",
        r#"<title>jumper</title><style>body{margin:0;background:#fff}
           .s{color:#ff00ff;font:bold 28px monospace;border:1px solid #999;width:360px;height:44px}
           #green{background:#00c000;height:40px;width:300px;position:fixed;left:0;bottom:0}</style>
           <div id=green></div>
           <p style="position:fixed;left:0;top:100px;margin:0"><input class=s id=jumper name=cardnumber value="4000056655665556"></p>
           <script>let n=0;const el=document.getElementById('jumper');
           const at=(k)=>{el.style.transform='translate('+(k%3)*400+'px,'+Math.floor(k/3)*150+'px)'};
           setInterval(()=>{const k=n++;requestAnimationFrame(()=>{at((k*2+1)%9);requestAnimationFrame(()=>at((k*2+2)%9))})},400);</script>"#,
    ),
    // The card field inside a cross-origin frame (served from a second port).
    (
        "card-frame",
        r#"<title>frame</title><input style="color:#ff00ff;font:bold 28px monospace;width:380px" id=cc-number name=cardnumber value="5555444433332222">"#,
    ),
    // Blocked controls: a pay button, an "I agree" checkbox with a label, a form with a
    // masked field. The title says what the page did.
    (
        "blocking",
        r#"<title>nothing happened</title><style>
           *{margin:0;box-sizing:border-box;font:20px sans-serif} .a{position:absolute;left:10px;width:300px;height:40px}
           </style>
           <form id=f onsubmit="event.preventDefault();document.title='submitted'">
           <input class=a style="top:10px" id=card name=cardnumber placeholder="Card number">
           <input class=a style="top:60px" id=note name=note placeholder="Note">
           <button class=a style="top:110px" id=pay type=submit onclick="document.title='paid'">Pay now</button>
           </form>
           <input type=checkbox id=agree style="position:absolute;left:10px;top:170px;width:20px;height:20px"
             onchange="document.title='agreed:'+this.checked">
           <label for=agree id=agreelabel class=a style="left:40px;top:165px">I agree to the terms</label>
           <button class=a style="top:230px" id=help onclick="document.title='helped'">Show help</button>"#,
    ),
    // For company rules and side channels: a magenta block with nothing sensitive about it,
    // a plain button, a note field and an IBAN field that both write the title, and a GET form
    // (a number and a CVC) that puts what is typed into the address. A spinner keeps frames
    // coming.
    (
        "rules",
        r#"<title>rules</title><style>
           *{margin:0;box-sizing:border-box;font:20px sans-serif} .a{position:absolute;left:10px;width:300px;height:40px}
           #loyal{background:#ff00ff;color:#ff00ff}
           #spin{position:fixed;right:20px;bottom:20px;width:40px;height:40px;background:#0000c0;animation:r 1s linear infinite}
           @keyframes r{to{transform:rotate(360deg)}}
           </style>
           <div class=a id=loyal style="top:10px">Loyalty 5521</div>
           <button class=a id=archive style="top:60px" onclick="document.title='archived'">Archive</button>
           <input class=a id=note style="top:110px" placeholder="Note" oninput="document.title='note:'+this.value">
           <input class=a id=iban name=iban style="top:160px" oninput="document.title='Pay to '+this.value">
           <form action="/rules" method=get><input class=a style="top:210px" id=num name=number>
           <input class=a style="top:260px" id=cvc name=cvc><button class=a style="top:310px" id=go>Go</button></form>
           <div id=spin></div>"#,
    ),
    // The magenta block of "rules" on a page that draws nothing after it has loaded.
    (
        "rules-still",
        r#"<title>rules-still</title><style>
           *{margin:0;box-sizing:border-box;font:20px sans-serif}
           #loyal{position:absolute;left:10px;top:10px;width:300px;height:40px;background:#ff00ff;color:#ff00ff}
           </style>
           <div id=loyal>Loyalty 5521</div>"#,
    ),
    // Typing on a page that is otherwise still, with a transparent caret: after the last key,
    // every viewer's picture settles on the same pixels, and while it blinks unseen, Chromium
    // sends frames that change nothing.
    (
        "still-typing",
        r#"<title>empty</title><style>body{margin:0;font:20px sans-serif}
           #i{position:absolute;left:40px;top:200px;width:600px;font:bold 48px monospace;caret-color:transparent}</style>
           <h1 style="margin:20px">A still page</h1><input id=i autofocus oninput="document.title=this.value||'empty'">"#,
    ),
    // Coloured noise over the whole page, new ten times a second: large frames, for links that
    // cannot carry them.
    (
        "noise",
        r#"<title>noise</title><style>body{margin:0}canvas{width:100vw;height:100vh;image-rendering:pixelated}</style>
           <canvas id=c width=320 height=180></canvas>
           <script>const c=document.getElementById('c').getContext('2d');const img=c.createImageData(320,180);
           setInterval(()=>{const d=img.data;for(let i=0;i<d.length;i+=4){d[i]=Math.random()*256;d[i+1]=Math.random()*256;d[i+2]=Math.random()*256;d[i+3]=255}c.putImageData(img,0,0)},100);</script>"#,
    ),
    // A big button that opens an alert, and one that runs a script that never ends.
    (
        "alert",
        r#"<title>alert</title><button style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="alert('hello');document.title='alerted'">press</button>"#,
    ),
    // A big button that asks for a word with `prompt()`; the title says its length only.
    (
        "prompt",
        r#"<title>prompt</title><button style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="const v=prompt('Your secret word?','');document.title='answered:'+(v===null?'null':v.length)">press</button>"#,
    ),
    (
        "endless",
        r#"<title>endless</title><button style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="document.title='looping';while(true){}">press</button>"#,
    ),
    // A file field over the top half (its chosen files go into the title), and two download
    // links: a small file and one of 2 MiB.
    (
        "files",
        r#"<title>files</title><input type=file id=f style="position:fixed;left:0;top:0;width:100vw;height:50vh"
           onchange="document.title='picked:'+[...this.files].map(f=>f.name+'/'+f.size).join(',')">
           <a href="/dl/report" style="position:fixed;left:0;top:50vh;width:50vw;height:50vh;display:block">download</a>
           <a href="/dl/big" style="position:fixed;left:50vw;top:50vh;width:50vw;height:50vh;display:block">big</a>"#,
    ),
    // A link over the whole page that opens the small file in a new tab, which Chromium
    // closes as the download begins.
    (
        "files-blank",
        r#"<title>files</title><a href="/dl/report" target=_blank style="position:fixed;inset:0;display:block">download</a>"#,
    ),
    // A page whose own timer starts a script that never ends, with nobody acting; a press
    // after it was stopped says so in the title.
    (
        "timer-endless",
        r#"<title>waiting</title><button style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="document.title='pressed'">press</button>
           <script>setTimeout(()=>{document.title='looping';setTimeout(()=>{while(true){}},300)},1000)</script>"#,
    ),
    // A press starts a script that a timer starts again as soon as it is stopped: only loading
    // the page again ends it.
    (
        "spinning",
        r#"<title>spin</title><button style="position:fixed;left:0;top:0;width:100vw;height:100vh"
           onclick="document.title='spinning';(function spin(){setTimeout(spin,0);while(true){}})()">press</button>"#,
    ),
    // A tall page for scrolling.
    (
        "long",
        r#"<title>top</title><div style="height:20000px;background:linear-gradient(#fff,#00f)"></div>
           <script>addEventListener('scroll',()=>{document.title=scrollY>0?'scrolled':'top'})</script>"#,
    ),
];

async fn page(Path(name): Path<String>) -> Html<String> {
    let body =
        PAGES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b).unwrap_or("<title>404</title>");
    Html(format!("<!doctype html><meta charset=utf-8>{body}"))
}

/// The body of the test site's small download, `/dl/report`.
pub const DOWNLOAD_BODY: &str = "the report the page downloaded";

/// `/dl/report` (a small file) and `/dl/big` (2 MiB), as attachments.
async fn attachment(Path(name): Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (file, body) = match name.as_str() {
        "report" => ("report.txt", DOWNLOAD_BODY.as_bytes().to_vec()),
        _ => ("big.bin", vec![7u8; 2 * 1024 * 1024]),
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            ("content-type", "application/octet-stream".to_owned()),
            ("content-disposition", disposition),
        ],
        body,
    )
        .into_response()
}

/// `/pdf/plain` (two pages, no form), `/pdf/form` (the same with a text field on its first
/// page), `/pdf/attachment` (the plain one as a download). Each page's top is magenta, which
/// nothing else shows, above a green bar.
async fn pdf_file(Path(name): Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition = if name == "attachment" { "attachment; filename=a.pdf" } else { "inline" };
    let body = pdf(2, name == "form");
    ([("content-type", "application/pdf"), ("content-disposition", disposition)], body)
        .into_response()
}

/// A PDF of `pages` letter-size pages, written by hand: on each, a magenta block over the top
/// 60 %, a green bar, and the page's number; with `form`, a fillable text field (an AcroForm
/// with one widget) on the first page.
pub fn pdf(pages: usize, form: bool) -> Vec<u8> {
    let font = 3 + 2 * pages;
    let field = font + 1;
    let mut objects: Vec<String> = Vec::new();
    let acro = if form {
        format!(
            " /AcroForm << /Fields [{field} 0 R] /DR << /Font << /Helv {font} 0 R >> >> /DA (/Helv 20 Tf 0 g) >>"
        )
    } else {
        String::new()
    };
    objects.push(format!("<< /Type /Catalog /Pages 2 0 R{acro} >>"));
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")));
    for i in 0..pages {
        let annots = if form && i == 0 { format!(" /Annots [{field} 0 R]") } else { String::new() };
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
             /Resources << /Font << /F1 {font} 0 R >> >>{annots} >>",
            4 + 2 * i
        ));
        let content = format!(
            "1 0 1 rg 0 317 612 475 re f 0 0.75 0 rg 40 250 532 40 re f \
             BT /F1 28 Tf 0 g 40 200 Td (Page {}) Tj ET",
            i + 1
        );
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned());
    if form {
        objects.push(
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T (card) /F 4 /P 3 0 R \
             /Rect [40 60 572 120] /DA (/Helv 20 Tf 0 g) /MK << /BG [1 1 0.8] >> >>"
                .to_owned(),
        );
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

impl TestSite {
    pub async fn start() -> TestSite {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test site");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/{name}", get(page))
            .route("/dl/{name}", get(attachment))
            .route("/pdf/{name}", get(pdf_file));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestSite { addr }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{}", self.addr, name)
    }
}

/// A TCP listener that counts connections and answers a small page.
pub struct Canary {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Canary {
    pub async fn start(bind: &str) -> Canary {
        let listener = TcpListener::bind(bind).await.expect("bind canary");
        let addr = listener.local_addr().expect("addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 29\r\n\r\n<title>canary reached</title>")
                        .await;
                });
            }
        });
        Canary { addr, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
