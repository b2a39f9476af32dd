//! A bare StatusNotifierItem: what a tray process costs with nothing but the item itself. Run by
//! bench/tray-floor.sh beside Headroom's tray and an empty Tauri tray app.

#[cfg(target_os = "linux")]
mod item {
    use ksni::blocking::TrayMethods;

    pub struct Bare;

    impl ksni::Tray for Bare {
        fn id(&self) -> String {
            "bare-sni".into()
        }

        fn title(&self) -> String {
            "58%".into()
        }

        fn tool_tip(&self) -> ksni::ToolTip {
            ksni::ToolTip {
                title: "Codex · Plus".into(),
                description: "5-hour: 58% left\nWeekly: 83% left".into(),
                ..Default::default()
            }
        }

        fn icon_pixmap(&self) -> Vec<ksni::Icon> {
            // 32×32 ARGB32, network byte order: an opaque green square.
            let pixel = [0xff, 0x2e, 0xa0, 0x43];
            vec![ksni::Icon { width: 32, height: 32, data: pixel.repeat(32 * 32) }]
        }

        fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
            use ksni::menu::StandardItem;
            vec![
                StandardItem { label: "Refresh now".into(), ..Default::default() }.into(),
                StandardItem {
                    label: "Quit".into(),
                    activate: Box::new(|_| std::process::exit(0)),
                    ..Default::default()
                }
                .into(),
            ]
        }
    }

    pub fn run() {
        let _handle = Bare.spawn().expect("the StatusNotifierItem could not be served (no session bus?)");
        loop {
            std::thread::park();
        }
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    item::run();
    #[cfg(not(target_os = "linux"))]
    eprintln!("bare-sni: a StatusNotifierItem exists on Linux only");
}
