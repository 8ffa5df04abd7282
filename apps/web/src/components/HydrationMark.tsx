// Marks the document once React has hydrated it (`<html data-hydrated>`), so
// browser tests can wait for event handlers to be attached before clicking:
// a click on server-rendered HTML before hydration does nothing.
"use client";

import { useEffect } from "react";

export function HydrationMark() {
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return null;
}
