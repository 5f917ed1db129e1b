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
    // A text field whose value becomes the title; Enter in it submits to ?q=.
    (
        "type",
        r#"<title>empty</title><form action="/typed"><input id=i name=q autofocus style="font-size:40px;width:90vw"
           oninput="document.title=this.value||'empty'"></form>"#,
    ),
    ("typed", r#"<title>submitted</title><p>thanks</p>"#),
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

impl TestSite {
    pub async fn start() -> TestSite {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test site");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().route("/{name}", get(page));
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
