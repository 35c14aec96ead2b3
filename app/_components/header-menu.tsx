"use client";
// A <details> menu in the header (navigation on phones, the user menu) that behaves like a menu: it closes when the
// page changes, when a link in it is followed, on a tap or click outside it and on Escape (focus goes back to its
// button), so it never stays open over the next page. Without JavaScript it is still a plain <details>.
import { usePathname } from "next/navigation";
import { useEffect, useRef, type ReactNode } from "react";

export function HeaderMenu({
  button,
  buttonLabel,
  buttonClassName,
  className,
  testId,
  children,
}: {
  button: ReactNode;
  buttonLabel?: string;
  buttonClassName?: string;
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  const pathname = usePathname();

  useEffect(() => {
    if (ref.current) ref.current.open = false;
  }, [pathname]);

  useEffect(() => {
    const onPointerDown = (e: PointerEvent) => {
      const menu = ref.current;
      if (menu?.open && !menu.contains(e.target as Node)) menu.open = false;
    };
    const onKeyDown = (e: KeyboardEvent) => {
      const menu = ref.current;
      if (!menu?.open || e.key !== "Escape") return;
      menu.open = false;
      menu.querySelector("summary")?.focus();
    };
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("keydown", onKeyDown);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, []);

  return (
    <details
      ref={ref}
      className={className}
      data-testid={testId}
      // A link to the page already shown changes no pathname: close on following any link in the menu.
      onClick={(e) => {
        if ((e.target as HTMLElement).closest("a") && ref.current) ref.current.open = false;
      }}
    >
      <summary aria-label={buttonLabel} className={buttonClassName}>
        {button}
      </summary>
      {children}
    </details>
  );
}
