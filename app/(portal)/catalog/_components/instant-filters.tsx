"use client";
// Instant filtering for the catalog's GET form: a changed filter submits the form at once, typing in the search box
// after a short pause. Without JavaScript the form still works with its Search button (the URL keeps the view).
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

const TYPING_PAUSE_MS = 400;

export function InstantFilters() {
  const marker = useRef<HTMLSpanElement>(null);
  const router = useRouter();
  useEffect(() => {
    const form = marker.current?.closest("form");
    if (!form) return;
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
