//! The tray's menu on macOS and Windows: the menu crate's (muda, through tray-icon) native menu,
//! built from the menu's entries (`menu`) and kept while its shape stays. New words (the
//! numbers, "Updated …") go into the items on screen: muda numbers every item it makes, and on
//! Windows a click names its item by a 16-bit number, so a menu made anew on every change ran
//! out of numbers in days of polling and clicks then did nothing; an open menu also stays the
//! one clicked.

use tray_icon::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};

use crate::menu::MenuEntry;

/// A native item whose words can change.
enum Item {
    Plain(MenuItem),
    Submenu(Submenu),
    Separator,
}

/// The native menu on screen: its items in the order [`walk`] visits the entries, the shape
/// they were made for and the words they show.
pub(crate) struct NativeMenu {
    shape: Vec<String>,
    items: Vec<Item>,
    words: Vec<Option<String>>,
}

impl NativeMenu {
    pub(crate) fn build(entries: &[MenuEntry]) -> tray_icon::menu::Result<(Menu, NativeMenu)> {
        let menu = Menu::new();
        let mut items = Vec::new();
        for item in native_items(entries, &mut items)? {
            menu.append(item.as_ref())?;
        }
        #[cfg(windows)]
        {
            use tray_icon::menu::ContextMenu;
            log_commands(menu.hpopupmenu(), entries);
        }
        let (shape, words) = walk(entries);
        Ok((menu, NativeMenu { shape, items, words }))
    }

    /// Shows `entries`' words in the items on screen, when the entries are the same ones in the
    /// same places; false when the menu must be made anew.
    pub(crate) fn reword(&mut self, entries: &[MenuEntry]) -> bool {
        let (shape, words) = walk(entries);
        if shape != self.shape {
            return false;
        }
        for ((item, old), new) in self.items.iter().zip(&self.words).zip(&words) {
            if old == new {
                continue;
            }
            let text = new.as_deref().unwrap_or_default();
            match item {
                Item::Plain(item) => item.set_text(text),
                Item::Submenu(submenu) => submenu.set_text(text),
                Item::Separator => {}
            }
        }
        self.words = words;
        true
    }
}

/// Every entry, submenus' entries after their submenu: what it is (its id; a separator, a
/// submenu's end) and the words it shows.
fn walk(entries: &[MenuEntry]) -> (Vec<String>, Vec<Option<String>>) {
    fn visit(entries: &[MenuEntry], shape: &mut Vec<String>, words: &mut Vec<Option<String>>) {
        for entry in entries {
            match entry {
                MenuEntry::Info { id, text } => {
                    shape.push(format!("info {id}"));
                    words.push(Some(text.clone()));
                }
                MenuEntry::Action { action, text } => {
                    shape.push(format!("action {}", action.id()));
                    words.push(Some(text.clone()));
                }
                MenuEntry::Separator => {
                    shape.push("separator".into());
                    words.push(None);
                }
                MenuEntry::Submenu { id, text, entries } => {
                    shape.push(format!("submenu {id}"));
                    words.push(Some(text.clone()));
                    visit(entries, shape, words);
                    shape.push(format!("end {id}"));
                }
            }
        }
    }
    let (mut shape, mut words) = (Vec::new(), Vec::new());
    visit(entries, &mut shape, &mut words);
    (shape, words)
}

/// The native items for `entries`, each also kept in `kept` in [`walk`]'s order.
fn native_items(entries: &[MenuEntry], kept: &mut Vec<Item>) -> tray_icon::menu::Result<Vec<Box<dyn IsMenuItem>>> {
    let mut items: Vec<Box<dyn IsMenuItem>> = Vec::new();
    for entry in entries {
        items.push(match entry {
            MenuEntry::Info { id, text } => {
                let item = MenuItem::with_id(id.as_str(), text, false, None);
                kept.push(Item::Plain(item.clone()));
                Box::new(item)
            }
            MenuEntry::Action { action, text } => {
                let item = MenuItem::with_id(action.id(), text, true, None);
                kept.push(Item::Plain(item.clone()));
                Box::new(item)
            }
            MenuEntry::Separator => {
                kept.push(Item::Separator);
                Box::new(PredefinedMenuItem::separator())
            }
            MenuEntry::Submenu { id, text, entries } => {
                let submenu = Submenu::with_id(id.as_str(), text, true);
                kept.push(Item::Submenu(submenu.clone()));
                for item in native_items(entries, kept)? {
                    submenu.append(item.as_ref())?;
                }
                Box::new(submenu)
            }
        });
    }
    Ok(items)
}

/// Logs (at debug) which WM_COMMAND number each entry's action got: a click sends the number,
/// which the menu crate maps back to the entry's id. The Windows tests send the message a click
/// sends, and read here which number to send.
#[cfg(windows)]
fn log_commands(menu: isize, entries: &[MenuEntry]) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{GetMenuItemID, GetSubMenu};
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    for (position, entry) in entries.iter().enumerate() {
        let position = position as i32;
        match entry {
            MenuEntry::Action { action, .. } => {
                // SAFETY: a menu this process made and holds; an out-of-range position is -1.
                let command = unsafe { GetMenuItemID(menu as _, position) };
                tracing::debug!("menu command {command} is {}", action.id());
            }
            MenuEntry::Submenu { entries, .. } => {
                // SAFETY: as above; a position without a submenu gives null.
                let submenu = unsafe { GetSubMenu(menu as _, position) };
                if !submenu.is_null() {
                    log_commands(submenu as isize, entries);
                }
            }
            MenuEntry::Info { .. } | MenuEntry::Separator => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::MenuAction;
    use crate::Window;

    fn entries(updated: &str, left: &str) -> Vec<MenuEntry> {
        vec![
            MenuEntry::Info { id: "updated".into(), text: updated.into() },
            MenuEntry::Submenu {
                id: "pause".into(),
                text: "Pause alerts".into(),
                entries: vec![MenuEntry::Info { id: "5h".into(), text: left.into() }],
            },
            MenuEntry::Separator,
            MenuEntry::Action { action: MenuAction::Open(Window::Dashboard), text: "Open dashboard".into() },
        ]
    }

    #[test]
    fn the_same_entries_with_new_words_keep_their_places_and_others_do_not() {
        let (shape, words) = walk(&entries("Updated just now", "50% left"));
        let (same_shape, new_words) = walk(&entries("Updated 1 min ago", "15% left"));
        assert_eq!(shape, same_shape);
        assert_ne!(words, new_words);
        assert_eq!(shape, ["info updated", "submenu pause", "info 5h", "end pause", "separator", "action dashboard"]);
        let mut fewer = entries("Updated 1 min ago", "15% left");
        fewer.remove(2);
        assert_ne!(walk(&fewer).0, shape, "a separator gone changes the shape");
        let mut moved = entries("Updated 1 min ago", "15% left");
        moved.swap(0, 3);
        assert_ne!(walk(&moved).0, shape, "the same ids elsewhere change the shape");
    }
}
