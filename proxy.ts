// Sends visitors without a session cookie to the sign-in page before any portal page renders.
// (The portal layout checks the session for real; this only saves a round trip.)
import { NextResponse, type NextRequest } from "next/server";

const PUBLIC = [/^\/signin/, /^\/api\//, /^\/_next\//, /^\/favicon/, /^\/openapi/];

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (PUBLIC.some((re) => re.test(pathname))) return NextResponse.next();
  const hasSession = req.cookies.getAll().some((c) => c.name.endsWith("authjs.session-token"));
  if (hasSession) return NextResponse.next();
  const url = req.nextUrl.clone();
  url.pathname = "/signin";
  url.search = `?callbackUrl=${encodeURIComponent(pathname + search)}`;
  return NextResponse.redirect(url);
}

export const config = { matcher: ["/((?!_next/static|_next/image|favicon.svg).*)"] };
