// Typed wrappers around Headroom's Tauri commands and events: the only place the UI talks to
// the backend. The backend pushes new numbers as `dashboard` events; the UI never polls.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { DashboardView } from "./types";

export function getDashboard(): Promise<DashboardView> {
  return invoke<DashboardView>("dashboard");
}

export function refresh(): Promise<void> {
  return invoke<void>("refresh");
}

export function onDashboard(handler: (view: DashboardView) => void): Promise<UnlistenFn> {
  return listen<DashboardView>("dashboard", (event) => handler(event.payload));
}
