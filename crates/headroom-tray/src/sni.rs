//! The tray on Linux without GTK: a StatusNotifierItem and its com.canonical.dbusmenu menu,
//! served over D-Bus with zbus. It carries what libappindicator could not: a left click
//! (`Activate`), a tooltip, and the `XAyatanaLabel` title GNOME's AppIndicator extension shows.
//! Hosts come and go (a panel restarts): the item registers again whenever a watcher appears.
//!
//! This module knows nothing of Headroom's state: it shows a [`TrayModel`] and hands clicks to
//! the callbacks it was given.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};
use zbus::{interface, Connection};

use crate::menu::{MenuAction, MenuEntry};

pub const ITEM_PATH: &str = "/StatusNotifierItem";
pub const MENU_PATH: &str = "/StatusNotifierItem/Menu";
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// One icon size: width, height, ARGB32 pixels in network byte order (as the protocol wants).
pub type Pixmap = (i32, i32, Vec<u8>);

/// Converts straight RGBA (what headroom-icon draws) to the protocol's ARGB.
pub fn pixmap_from_rgba(size: u32, rgba: &[u8]) -> Pixmap {
    let argb = rgba.chunks_exact(4).flat_map(|p| [p[3], p[0], p[1], p[2]]).collect();
    (size as i32, size as i32, argb)
}

/// What the item shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrayModel {
    pub icon: Vec<Pixmap>,
    /// The short text beside the icon ("70%"); empty for none.
    pub label: String,
    pub tooltip_title: String,
    pub tooltip_body: String,
    pub menu: Vec<MenuEntry>,
}

/// A click on the item itself (not on its menu).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// A left click.
    Primary,
    /// A middle click.
    Secondary,
}

pub type OnClick = Arc<dyn Fn(Click) + Send + Sync>;
/// A menu entry was clicked: what it does.
pub type OnMenu = Arc<dyn Fn(MenuAction) + Send + Sync>;
/// The menu's entries as they are now, asked for as a host is about to show it.
pub type FreshMenu = Arc<dyn Fn() -> Vec<MenuEntry> + Send + Sync>;

/// One dbusmenu item as `GetLayout` sends it: its id, its properties and its children.
type LayoutNode = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// The menu as dbusmenu numbers it: item 0 is the root. Each entry keeps its number for the
/// item's life, whatever moves around it, and a number is never given to another entry: a host
/// still showing an older layout can only click what it shows (or something gone, which does
/// nothing). Numbers by position made a click on "Pause alerts › Until … resets" run "Quit"
/// once a hint had gone from above it.
#[derive(Debug)]
struct Layout {
    revision: u32,
    nodes: HashMap<i32, Node>,
    /// The number of every entry id ever shown.
    numbers: HashMap<String, i32>,
}

#[derive(Debug)]
struct Node {
    entry: Option<MenuEntry>,
    children: Vec<i32>,
}

impl Layout {
    fn new(entries: &[MenuEntry]) -> Layout {
        let mut layout = Layout { revision: 0, nodes: HashMap::new(), numbers: HashMap::new() };
        layout.show(entries);
        layout
    }

    /// Takes `entries` as the menu, under a new revision.
    fn show(&mut self, entries: &[MenuEntry]) {
        self.revision += 1;
        self.nodes.clear();
        let mut separators = 0;
        let children = self.add(entries, &mut separators);
        self.nodes.insert(0, Node { entry: None, children });
    }

    fn add(&mut self, entries: &[MenuEntry], separators: &mut usize) -> Vec<i32> {
        let mut ids = Vec::with_capacity(entries.len());
        for entry in entries {
            // Separators do nothing: the nth keeps the nth's number.
            let mut key = entry.id().unwrap_or_else(|| {
                *separators += 1;
                format!("separator {separators}")
            });
            // The same entry twice (two hints with one command) still gets two numbers.
            while self.numbers.get(&key).is_some_and(|n| self.nodes.contains_key(n)) {
                key.push('+');
            }
            let fresh = self.numbers.len() as i32 + 1;
            let id = *self.numbers.entry(key).or_insert(fresh);
            let children = match entry {
                MenuEntry::Submenu { entries, .. } => {
                    // Claimed before its children are numbered, so none of them can take it.
                    self.nodes.insert(id, Node { entry: None, children: Vec::new() });
                    self.add(entries, separators)
                }
                _ => Vec::new(),
            };
            self.nodes.insert(id, Node { entry: Some(entry.clone()), children });
            ids.push(id);
        }
        ids
    }

    fn node(&self, id: i32) -> Option<&Node> {
        self.nodes.get(&id)
    }

    fn properties(&self, id: i32, wanted: &[String]) -> HashMap<String, OwnedValue> {
        let mut props: Vec<(&str, Value<'static>)> = Vec::new();
        match self.node(id).and_then(|n| n.entry.as_ref()) {
            None => props.push(("children-display", Value::from("submenu"))),
            Some(MenuEntry::Separator) => props.push(("type", Value::from("separator"))),
            // Shown at full contrast, not greyed out as a disabled item would be: these are the
            // numbers the menu is for. A click on one does nothing.
            Some(MenuEntry::Info { text, .. }) => props.push(("label", Value::from(escape(text)))),
            Some(MenuEntry::Action { text, .. }) => props.push(("label", Value::from(escape(text)))),
            Some(MenuEntry::Submenu { text, .. }) => {
                props.push(("label", Value::from(escape(text))));
                props.push(("children-display", Value::from("submenu")));
            }
        }
        props
            .into_iter()
            .filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|w| w == name))
            .filter_map(|(name, value)| Some((name.to_string(), OwnedValue::try_from(value).ok()?)))
            .collect()
    }

    /// `GetLayout`'s answer for one item and `depth` levels below it (-1: all).
    fn tree(&self, id: i32, depth: i32, wanted: &[String]) -> LayoutNode {
        let children = match self.node(id) {
            Some(node) if depth != 0 => node
                .children
                .iter()
                .filter_map(|&child| OwnedValue::try_from(Value::from(self.tree(child, depth - 1, wanted))).ok())
                .collect(),
            _ => Vec::new(),
        };
        (id, self.properties(id, wanted), children)
    }

    /// What a click on this item does, when it does something.
    fn action(&self, id: i32) -> Option<&MenuAction> {
        match self.node(id)?.entry.as_ref()? {
            MenuEntry::Action { action, .. } => Some(action),
            _ => None,
        }
    }
}

/// dbusmenu reads `_` as a mnemonic mark; a real underscore is written twice.
fn escape(text: &str) -> String {
    text.replace('_', "__")
}

struct Item {
    model: Arc<Mutex<TrayModel>>,
    on_click: OnClick,
}

// `spawn = false`: calls are answered in the order they came. Spawned, two `GetGroupProperties`
// sent back to back (xfce4-panel does) were answered in reverse 6–14 times a run, and
// libdbusmenu-gtk3 dropped the submenu's children arriving before their parent: an empty strip.
// No method here waits on anything but a short lock.
#[interface(name = "org.kde.StatusNotifierItem", spawn = false)]
impl Item {
    #[zbus(property)]
    fn category(&self) -> &str {
        "ApplicationStatus"
    }
    #[zbus(property)]
    fn id(&self) -> &str {
        "headroom"
    }
    #[zbus(property)]
    fn title(&self) -> &str {
        "Headroom"
    }
    #[zbus(property)]
    fn status(&self) -> &str {
        "Active"
    }
    #[zbus(property)]
    fn window_id(&self) -> i32 {
        0
    }
    #[zbus(property)]
    fn icon_name(&self) -> &str {
        ""
    }
    #[zbus(property)]
    fn icon_theme_path(&self) -> &str {
        ""
    }
    #[zbus(property)]
    fn icon_pixmap(&self) -> Vec<Pixmap> {
        self.model.lock().unwrap().icon.clone()
    }
    #[zbus(property)]
    fn overlay_icon_name(&self) -> &str {
        ""
    }
    #[zbus(property)]
    fn overlay_icon_pixmap(&self) -> Vec<Pixmap> {
        Vec::new()
    }
    #[zbus(property)]
    fn attention_icon_name(&self) -> &str {
        ""
    }
    #[zbus(property)]
    fn attention_icon_pixmap(&self) -> Vec<Pixmap> {
        Vec::new()
    }
    #[zbus(property)]
    fn attention_movie_name(&self) -> &str {
        ""
    }
    #[zbus(property)]
    fn tool_tip(&self) -> (String, Vec<Pixmap>, String, String) {
        let model = self.model.lock().unwrap();
        (String::new(), Vec::new(), model.tooltip_title.clone(), model.tooltip_body.clone())
    }
    /// False: a left click is `Activate` (the dashboard), the menu is on the right click.
    #[zbus(property)]
    fn item_is_menu(&self) -> bool {
        false
    }
    #[zbus(property)]
    fn menu(&self) -> zbus::zvariant::ObjectPath<'static> {
        zbus::zvariant::ObjectPath::from_static_str_unchecked(MENU_PATH)
    }
    #[zbus(property, name = "XAyatanaLabel")]
    fn x_ayatana_label(&self) -> String {
        self.model.lock().unwrap().label.clone()
    }
    /// The widest label, so the panel does not jump as the number changes.
    #[zbus(property, name = "XAyatanaLabelGuide")]
    fn x_ayatana_label_guide(&self) -> &str {
        "100%"
    }
    #[zbus(property, name = "XAyatanaOrderingIndex")]
    fn x_ayatana_ordering_index(&self) -> u32 {
        0
    }

    fn activate(&self, _x: i32, _y: i32) {
        (self.on_click)(Click::Primary);
    }
    fn secondary_activate(&self, _x: i32, _y: i32) {
        (self.on_click)(Click::Secondary);
    }
    /// Hosts show the menu themselves from `Menu`; nothing to do here.
    fn context_menu(&self, _x: i32, _y: i32) {}
    fn scroll(&self, _delta: i32, _orientation: &str) {}
    fn provide_xdg_activation_token(&self, _token: &str) {}

    #[zbus(signal)]
    async fn new_icon(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
    #[zbus(signal)]
    async fn new_tool_tip(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
    #[zbus(signal, name = "XAyatanaNewLabel")]
    async fn x_ayatana_new_label(emitter: &SignalEmitter<'_>, label: &str, guide: &str) -> zbus::Result<()>;
}

struct Menu {
    layout: Arc<Mutex<Layout>>,
    model: Arc<Mutex<TrayModel>>,
    on_menu: OnMenu,
    fresh_menu: FreshMenu,
    open: Arc<Mutex<MenuOpen>>,
}

/// Whether a host shows the menu now, and whether the tooltip changed meanwhile: a changed
/// tooltip is announced once the menu closes, so it does not pop up over the open menu.
#[derive(Debug, Default)]
struct MenuOpen {
    open: bool,
    tooltip_waiting: bool,
}

impl Menu {
    /// The menu as it is now (ages and countdowns move with the clock): a new layout, announced,
    /// when it differs from the one shown. True when it changed.
    async fn bring_up_to_date(&self, emitter: &SignalEmitter<'_>) -> bool {
        let entries = (self.fresh_menu)();
        // The model's menu and the layout change together, under the model's lock (as in
        // `StatusNotifierItem::show`), so neither can be left behind the other.
        let revision = {
            let mut model = self.model.lock().unwrap();
            if model.menu == entries {
                return false;
            }
            let mut layout = self.layout.lock().unwrap();
            layout.show(&entries);
            model.menu = entries;
            layout.revision
        };
        if let Err(e) = Menu::layout_updated(emitter, revision, 0).await {
            tracing::warn!("could not announce the menu's new layout ({e})");
        }
        true
    }
}

#[interface(name = "com.canonical.dbusmenu", spawn = false)]
impl Menu {
    #[zbus(property)]
    fn version(&self) -> u32 {
        3
    }
    #[zbus(property)]
    fn text_direction(&self) -> &str {
        "ltr"
    }
    #[zbus(property)]
    fn status(&self) -> &str {
        "normal"
    }
    #[zbus(property)]
    fn icon_theme_path(&self) -> Vec<String> {
        Vec::new()
    }

    fn get_layout(&self, parent_id: i32, recursion_depth: i32, property_names: Vec<String>) -> (u32, LayoutNode) {
        let layout = self.layout.lock().unwrap();
        (layout.revision, layout.tree(parent_id, recursion_depth, &property_names))
    }

    fn get_group_properties(
        &self,
        ids: Vec<i32>,
        property_names: Vec<String>,
    ) -> Vec<(i32, HashMap<String, OwnedValue>)> {
        let layout = self.layout.lock().unwrap();
        ids.into_iter()
            .filter(|&id| layout.node(id).is_some())
            .map(|id| (id, layout.properties(id, &property_names)))
            .collect()
    }

    #[zbus(name = "GetProperty")]
    fn get_item_property(&self, id: i32, name: String) -> zbus::fdo::Result<OwnedValue> {
        let layout = self.layout.lock().unwrap();
        layout
            .properties(id, std::slice::from_ref(&name))
            .remove(&name)
            .ok_or_else(|| zbus::fdo::Error::InvalidArgs(format!("item {id} has no property {name}")))
    }

    async fn event(
        &self,
        id: i32,
        event_id: &str,
        _data: OwnedValue,
        _timestamp: u32,
        #[zbus(connection)] connection: &Connection,
    ) {
        if id == 0 && (event_id == "opened" || event_id == "closed") {
            let announce = {
                let mut open = self.open.lock().unwrap();
                open.open = event_id == "opened";
                !open.open && std::mem::take(&mut open.tooltip_waiting)
            };
            if announce {
                if let Ok(emitter) = SignalEmitter::new(connection, ITEM_PATH) {
                    let _ = Item::new_tool_tip(&emitter).await;
                }
            }
            return;
        }
        if event_id != "clicked" {
            return;
        }
        // The lock is let go before the click is carried out: that redraws, which takes it.
        let action = self.layout.lock().unwrap().action(id).cloned();
        if let Some(action) = action {
            (self.on_menu)(action);
        }
    }

    async fn event_group(
        &self,
        events: Vec<(i32, String, OwnedValue, u32)>,
        #[zbus(connection)] connection: &Connection,
    ) -> Vec<i32> {
        let mut unknown = Vec::new();
        for (id, event_id, data, timestamp) in events {
            if self.layout.lock().unwrap().node(id).is_none() {
                unknown.push(id);
            } else {
                self.event(id, &event_id, data, timestamp, connection).await;
            }
        }
        unknown
    }

    /// The menu is about to open: its ages and countdowns are brought to now first (they were
    /// computed when the last reading came, and "Updated just now" stayed for minutes).
    async fn about_to_show(&self, id: i32, #[zbus(signal_emitter)] emitter: SignalEmitter<'_>) -> bool {
        id == 0 && self.bring_up_to_date(&emitter).await
    }

    async fn about_to_show_group(
        &self,
        ids: Vec<i32>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> (Vec<i32>, Vec<i32>) {
        let updated = ids.contains(&0) && self.bring_up_to_date(&emitter).await;
        (if updated { vec![0] } else { Vec::new() }, Vec::new())
    }

    #[zbus(signal)]
    async fn layout_updated(emitter: &SignalEmitter<'_>, revision: u32, parent: i32) -> zbus::Result<()>;
}

/// The item on the session bus. Cheap to clone.
#[derive(Clone)]
pub struct StatusNotifierItem {
    connection: Connection,
    model: Arc<Mutex<TrayModel>>,
    layout: Arc<Mutex<Layout>>,
    open: Arc<Mutex<MenuOpen>>,
}

impl StatusNotifierItem {
    /// Serves the item and registers it with the tray host, now and whenever a host appears.
    pub async fn start(
        model: TrayModel,
        on_click: OnClick,
        on_menu: OnMenu,
        fresh_menu: FreshMenu,
    ) -> zbus::Result<StatusNotifierItem> {
        let layout = Arc::new(Mutex::new(Layout::new(&model.menu)));
        let model = Arc::new(Mutex::new(model));
        let open = Arc::new(Mutex::new(MenuOpen::default()));
        let connection = Connection::session().await?;
        connection.object_server().at(ITEM_PATH, Item { model: model.clone(), on_click }).await?;
        let menu = Menu { layout: layout.clone(), model: model.clone(), on_menu, fresh_menu, open: open.clone() };
        connection.object_server().at(MENU_PATH, menu).await?;
        let item = StatusNotifierItem { connection, model, layout, open };
        item.keep_registered().await?;
        Ok(item)
    }

    async fn keep_registered(&self) -> zbus::Result<()> {
        let dbus = zbus::fdo::DBusProxy::new(&self.connection).await?;
        let mut owners = dbus.receive_name_owner_changed_with_args(&[(0, WATCHER)]).await?;
        if let Err(e) = register(&self.connection).await {
            tracing::info!("no tray host yet ({e}); the icon appears when one starts");
        }
        let connection = self.connection.clone();
        let open = self.open.clone();
        tokio::spawn(async move {
            while let Some(change) = owners.next().await {
                // A host that went with the menu open never says "closed".
                *open.lock().unwrap() = MenuOpen::default();
                let has_owner = change.args().is_ok_and(|a| a.new_owner().is_some());
                if has_owner {
                    if let Err(e) = register(&connection).await {
                        tracing::warn!("the tray host did not take the icon ({e})");
                    }
                }
            }
        });
        Ok(())
    }

    /// Waits until the session bus is gone (the desktop session ended).
    pub async fn bus_gone(&self) {
        self.connection.closed().await;
    }

    /// Shows `model`, telling hosts only about what changed.
    pub async fn show(&self, model: TrayModel) -> zbus::Result<()> {
        let (icon, tooltip, label, revision) = {
            let mut current = self.model.lock().unwrap();
            let changed = (
                current.icon != model.icon,
                (&current.tooltip_title, &current.tooltip_body) != (&model.tooltip_title, &model.tooltip_body),
                current.label != model.label,
            );
            let revision = (current.menu != model.menu).then(|| {
                let mut layout = self.layout.lock().unwrap();
                layout.show(&model.menu);
                layout.revision
            });
            *current = model.clone();
            (changed.0, changed.1, changed.2, revision)
        };
        let server = self.connection.object_server();
        let item = server.interface::<_, Item>(ITEM_PATH).await?;
        let emitter = item.signal_emitter();
        if icon {
            Item::new_icon(emitter).await?;
        }
        if tooltip {
            // Announced now, a tooltip pops up over the open menu: it waits for the menu to close.
            let menu_open = {
                let mut open = self.open.lock().unwrap();
                open.tooltip_waiting |= open.open;
                open.open
            };
            if !menu_open {
                Item::new_tool_tip(emitter).await?;
            }
        }
        if label {
            Item::x_ayatana_new_label(emitter, &model.label, "100%").await?;
        }
        if let Some(revision) = revision {
            let menu = server.interface::<_, Menu>(MENU_PATH).await?;
            Menu::layout_updated(menu.signal_emitter(), revision, 0).await?;
        }
        Ok(())
    }
}

async fn register(connection: &Connection) -> zbus::Result<()> {
    connection
        .call_method(
            Some(WATCHER),
            "/StatusNotifierWatcher",
            Some(WATCHER),
            "RegisterStatusNotifierItem",
            &(ITEM_PATH,),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<MenuEntry> {
        vec![
            MenuEntry::Info { id: "header".into(), text: "Codex · Plus · dev_1@example.com".into() },
            MenuEntry::Separator,
            MenuEntry::Action { action: MenuAction::Refresh, text: "Refresh now".into() },
            MenuEntry::Submenu {
                id: "pause".into(),
                text: "Pause alerts".into(),
                entries: vec![MenuEntry::Action { action: MenuAction::PauseForAnHour, text: "For 1 hour".into() }],
            },
        ]
    }

    #[test]
    fn the_layout_numbers_every_entry_and_a_click_names_its_action() {
        let layout = Layout::new(&entries());
        let (root, props, children) = layout.tree(0, -1, &[]);
        assert_eq!((root, children.len()), (0, 4));
        assert!(props.contains_key("children-display"));
        assert_eq!(layout.action(3), Some(&MenuAction::Refresh));
        assert_eq!(layout.action(5), Some(&MenuAction::PauseForAnHour), "the submenu's child follows it");
        assert_eq!(layout.action(1), None, "an info line does nothing");
        assert_eq!(layout.action(99), None);
        assert_eq!(layout.action(-1), None);
        let header = layout.properties(1, &[]);
        assert_eq!(header["label"], OwnedValue::try_from(Value::from("Codex · Plus · dev__1@example.com")).unwrap());
        assert!(!header.contains_key("enabled"), "the numbers are not greyed out");
        let only_labels = layout.properties(2, &["label".to_string()]);
        assert!(only_labels.is_empty(), "a separator has no label: {only_labels:?}");
        let (_, _, shallow) = layout.tree(0, 1, &[]);
        let pause: LayoutNode = shallow[3].clone().try_into().unwrap();
        assert_eq!((pause.0, pause.2.len()), (4, 0), "depth 1 stops below the top level");
    }

    #[test]
    fn an_entry_keeps_its_number_when_the_menu_changes_shape_and_a_gone_one_does_nothing() {
        let mut layout = Layout::new(&entries());
        let pause_hour = 5;
        assert_eq!(layout.action(pause_hour), Some(&MenuAction::PauseForAnHour));
        let copy = MenuAction::CopyCommand("CODEX_HOME=~/.codex-work codex".into());
        // A hint with its command comes above everything, and two more separators.
        let mut grown = vec![
            MenuEntry::Info { id: "hint-0".into(), text: "Use the other account".into() },
            MenuEntry::Action { action: copy.clone(), text: "Copy".into() },
            MenuEntry::Separator,
        ];
        grown.extend(entries());
        grown.insert(5, MenuEntry::Action { action: MenuAction::Quit, text: "Quit Headroom".into() });
        layout.show(&grown);
        assert_eq!(layout.revision, 2);
        assert_eq!(layout.action(pause_hour), Some(&MenuAction::PauseForAnHour), "same entry, same number");
        assert_eq!(layout.action(3), Some(&MenuAction::Refresh));
        let copy_number = (0..20).find(|&n| layout.action(n) == Some(&copy)).unwrap();
        let quit_number = (0..20).find(|&n| layout.action(n) == Some(&MenuAction::Quit)).unwrap();
        assert!(copy_number > pause_hour && quit_number > pause_hour, "new entries get new numbers");
        // Back to the first shape: the copy entry's number now does nothing, and is never reused.
        layout.show(&entries());
        assert_eq!(layout.action(copy_number), None);
        assert_eq!(layout.action(quit_number), None);
        assert_eq!(layout.action(pause_hour), Some(&MenuAction::PauseForAnHour));
        let (_, _, children) = layout.tree(0, -1, &[]);
        assert_eq!(children.len(), 4);
    }

    #[test]
    fn the_same_entry_twice_gets_two_numbers() {
        let copy = MenuAction::CopyCommand("codex".into());
        let twice = [
            MenuEntry::Action { action: copy.clone(), text: "Copy".into() },
            MenuEntry::Action { action: copy.clone(), text: "Copy".into() },
        ];
        let layout = Layout::new(&twice);
        assert_eq!(layout.nodes[&0].children, vec![1, 2]);
        assert_eq!((layout.action(1), layout.action(2)), (Some(&copy), Some(&copy)));
    }

    #[test]
    fn pixels_go_from_rgba_to_argb() {
        assert_eq!(pixmap_from_rgba(1, &[10, 20, 30, 255]), (1, 1, vec![255, 10, 20, 30]));
    }
}
