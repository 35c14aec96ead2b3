"use client";
// Instant filtering for the catalog's GET form: a changed filter submits the form at once, typing in the search box
// after a short pause, so the Search button is hidden; without JavaScript it stays and the form works with it (the
// URL keeps the view either way).
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

const TYPING_PAUSE_MS = 400;

export function InstantFilters() {
  const marker = useRef<HTMLSpanElement>(null);
  const router = useRouter();
  useEffect(() => {
    const form = marker.current?.closest("form");
    if (!form) return;
    const fallback = form.querySelector<HTMLElement>("[data-fallback-submit]");
    if (fallback) fallback.hidden = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A client-side navigation (not a page load), so the search box keeps focus while results change.
    const submit = () => {
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (typeof v === "string" && v && k !== "page") params.set(k, v);
      router.replace(`${form.getAttribute("action") ?? ""}?${params.toString()}`, { scroll: false });
    };
    const onChange = (e: Event) => {
      if (e.target instanceof HTMLSelectElement) submit();
    };
    const onInput = (e: Event) => {
      if (!(e.target instanceof HTMLInputElement) || e.target.type !== "search") return;
      clearTimeout(timer);
      timer = setTimeout(submit, TYPING_PAUSE_MS);
    };
    form.addEventListener("change", onChange);
    form.addEventListener("input", onInput);
    return () => {
      clearTimeout(timer);
      form.removeEventListener("change", onChange);
      form.removeEventListener("input", onInput);
    };
  }, [router]);
  return <span ref={marker} hidden />;
}
