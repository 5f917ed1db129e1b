//! Frames arrive at the viewport's size and follow its changes.

use browser::TabEvent;

use crate::support::{self, wait_frame};

#[tokio::test]
async fn frames_have_the_viewport_size_and_follow_it() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) =
        browser.new_tab(support::options(support::url(site, "/form"))).await.unwrap();
    let frame = wait_frame(&mut rx, |_| true).await;
    assert_eq!((frame.css_width, frame.css_height), (1280, 720));
    assert_eq!(&frame.jpeg[..2], &[0xff, 0xd8], "frames are JPEG");

    let phone = model::Viewport { width: 390, height: 844, device_scale_factor: 2.0, mobile: true };
    tab.set_viewport(phone).await.unwrap();
    let frame = wait_frame(&mut rx, |f| f.css_width == 390).await;
    assert_eq!(frame.css_height, 844);
    assert_eq!(tab.evaluate("screen.width").await.unwrap(), 390);

    let still = tab.capture().await.unwrap();
    assert_eq!((still.css_width, still.css_height), (390, 844));
    assert_eq!(&still.jpeg[..2], &[0xff, 0xd8]);

    tab.close().await.unwrap();
    tab.close().await.unwrap();
    assert!(tab.evaluate("1").await.is_err(), "a closed tab refuses commands");
    while let Ok(Some(event)) =
        tokio::time::timeout(std::time::Duration::from_secs(1), rx.recv()).await
    {
        assert!(!matches!(event, TabEvent::Lost), "closing is not losing");
    }
    browser.shutdown().await;
}
