//! Files in and out of the page: a file chooser is reported instead of opening Chromium's
//! dialog and takes the files given to it; downloads land in the context's own directory,
//! within the size limit, and go with the context.

use browser::{DownloadEvent, FileChooser, TabEvent, UploadFile};
use tokio::sync::mpsc;

use crate::support::{self, click, eventually};

/// Waits for an event `pick` takes, skipping others.
async fn wait_for<T>(rx: &mut mpsc::Receiver<TabEvent>, pick: impl Fn(TabEvent) -> Option<T>) -> T {
    tokio::time::timeout(support::WAIT, async {
        loop {
            match rx.recv().await {
                Some(event) => {
                    if let Some(found) = pick(event) {
                        return found;
                    }
                }
                None => panic!("tab events ended"),
            }
        }
    })
    .await
    .expect("the event arrives")
}

async fn chooser(rx: &mut mpsc::Receiver<TabEvent>) -> FileChooser {
    wait_for(rx, |e| match e {
        TabEvent::FileChooser(chooser) => Some(chooser),
        _ => None,
    })
    .await
}

async fn download(rx: &mut mpsc::Receiver<TabEvent>) -> DownloadEvent {
    wait_for(rx, |e| match e {
        TabEvent::Download(download) => Some(download),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_file_chooser_takes_the_files_given_to_it() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/files")).await;

    click(&tab, 50.0, 25.0).await;
    let opened = chooser(&mut rx).await;
    assert!(opened.multiple);
    let files = vec![
        UploadFile { name: "../scan.txt".into(), bytes: b"first file".to_vec() },
        UploadFile { name: "b.bin".into(), bytes: vec![0; 3] },
    ];
    tab.set_files(opened.id, files).await.unwrap();
    eventually(&tab, "window.picked", "scan.txt:10,b.bin:3".into()).await;
    eventually(&tab, "window.first", "first file".into()).await;

    // The files are in the context's own directory, which goes with the context.
    let dir = tab.context().files_dir();
    assert!(std::fs::read_dir(dir.join("uploads")).unwrap().count() == 2);
    tab.context().close().await;
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_chooser_of_a_page_that_is_gone_takes_nothing() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/files")).await;
    click(&tab, 50.0, 25.0).await;
    let opened = chooser(&mut rx).await;
    // The page moves on: its input, and so the chooser, is gone with the old document.
    tab.evaluate("location.reload()").await.unwrap();
    eventually(&tab, "performance.getEntriesByType('navigation')[0].type", "reload".into()).await;
    let file = UploadFile { name: "a.txt".into(), bytes: b"x".to_vec() };
    // Chromium may still know the old element (until it is collected): either way the page
    // on screen gets no file.
    let _ = tab.set_files(opened.id, vec![file.clone()]).await;
    let unknown = tab.set_files(model::FileChooserId(999_999), vec![file]).await;
    assert!(unknown.is_err());
    eventually(&tab, "window.picked ?? 'none'", "none".into()).await;
}

#[tokio::test]
async fn downloads_land_in_the_context_directory_within_the_limit() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/files")).await;

    click(&tab, 50.0, 75.0).await;
    let finished = match download(&mut rx).await {
        DownloadEvent::Finished(d) => d,
        other => panic!("the download finishes: {other:?}"),
    };
    assert_eq!(finished.name, "report.txt");
    assert_eq!(finished.size, support::DOWNLOAD_BODY.len() as u64);
    let dir = tab.context().files_dir();
    assert!(finished.path.starts_with(&dir));
    assert_eq!(std::fs::read_to_string(&finished.path).unwrap(), support::DOWNLOAD_BODY);

    // One over the limit is cancelled, and nothing of it stays.
    click(&tab, 50.0, 125.0).await;
    let refused = download(&mut rx).await;
    assert_eq!(
        refused,
        DownloadEvent::TooLarge { name: "big.bin".into(), limit: support::MAX_DOWNLOAD }
    );
    let downloads = dir.join("downloads");
    let only_small =
        || std::fs::read_dir(&downloads).unwrap().flatten().map(|e| e.path()).collect::<Vec<_>>();
    tokio::time::timeout(support::WAIT, async {
        while only_small() != vec![finished.path.clone()] {
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("only the small download is left");
    // The page is still there.
    eventually(&tab, "document.title", "Files".into()).await;
    tab.context().close().await;
    assert!(!dir.exists());
}
