// Which Pier account an external identity (GitHub, OIDC) signs in as.
//  1. An identity seen before is found by (provider, subject): the account it was linked to, whatever its e-mail now.
//  2. A new identity whose provider says its e-mail is verified is linked to the user with that e-mail, if any.
//  3. Otherwise it gets a new account (developer, no teams). With an unverified address the account does not claim
//     the address (a provider that lets anyone type any e-mail must not hand them someone's account, now or later):
//     its e-mail is a placeholder and the address it claimed is shown to admins, who can merge it into the right user.
import { recordAudit, systemActor } from "../audit/audit-log";
import { newId, transaction, type Db } from "../db";

export type ExternalIdentity = {
  provider: string;
  /** The provider's stable id for the person (GitHub user id, OIDC `sub`). */
  subject: string;
  email: string | null;
  /** Only true when the provider said so about this very address. */
  emailVerified: boolean;
  name: string;
  image?: string | null;
};

export type SignedInAccount = { id: string; sessionVersion: number };
type ExternalSignIn =
  { ok: true; account: SignedInAccount; linked: "known" | "by_verified_email" | "new_account" } | { ok: false; reason: "disabled" | "invalid" };

/** The placeholder e-mail of an account whose provider did not vouch for its address (`.invalid` never resolves). */
const unverifiedEmail = (provider: string, subject: string) => `${provider}-${subject}@unverified.invalid`.toLowerCase();

const MAX = { subject: 255, email: 320, name: 200, image: 2000 };

export async function resolveExternalSignIn(db: Db, identity: ExternalIdentity): Promise<ExternalSignIn> {
  const subject = identity.subject.trim();
  const email = identity.email?.trim().toLowerCase() || null;
  if (!subject || subject.length > MAX.subject || [...subject].some((c) => c.charCodeAt(0) < 0x20)) return { ok: false, reason: "invalid" };
  const claimed = email && email.length <= MAX.email && !email.includes("\u0000") ? email : null;
  const verified = identity.emailVerified && claimed !== null;
  const name = (identity.name || claimed || subject).replaceAll("\u0000", "").slice(0, MAX.name);
  const image = identity.image && identity.image.length <= MAX.image && /^https:\/\//.test(identity.image) ? identity.image : null;

  return transaction(db, async (tx) => {
    const now = new Date();
    const known = await tx
      .selectFrom("ExternalAccount as a")
      .innerJoin("User as u", "u.id", "a.userId")
      .where("a.provider", "=", identity.provider)
      .where("a.subject", "=", subject)
      .select(["u.id", "u.sessionVersion", "u.disabledAt"])
      .executeTakeFirst();
    if (known) {
      tx.deferred.write(
        tx
          .updateTable("ExternalAccount")
          .set({ email: claimed, emailVerified: verified, lastSignInAt: now })
          .where("provider", "=", identity.provider)
          .where("subject", "=", subject),
      );
      if (known.disabledAt) return { ok: false, reason: "disabled" };
      return { ok: true, account: { id: known.id, sessionVersion: known.sessionVersion }, linked: "known" };
    }

    const link = (userId: string) =>
      tx.deferred.write(
        tx
          .insertInto("ExternalAccount")
          .values({ provider: identity.provider, subject, userId, email: claimed, emailVerified: verified, createdAt: now, lastSignInAt: now }),
      );

    if (verified) {
      const existing = await tx.selectFrom("User").select(["id", "name", "sessionVersion", "disabledAt"]).where("email", "=", claimed).executeTakeFirst();
      if (existing) {
        link(existing.id);
        recordAudit(tx, {
          actor: { id: existing.id, label: existing.name },
          action: "user.account_linked",
          subjectType: "user",
          subjectId: existing.id,
          after: { provider: identity.provider, subject, email: claimed, emailVerified: true },
        });
        if (existing.disabledAt) return { ok: false, reason: "disabled" };
        return { ok: true, account: { id: existing.id, sessionVersion: existing.sessionVersion }, linked: "by_verified_email" };
      }
    }

    const id = newId();
    const ownEmail = verified ? claimed : unverifiedEmail(identity.provider, subject);
    await tx
      .insertInto("User")
      .values({ id, email: ownEmail, name, image, provider: identity.provider, role: "developer", createdAt: now, updatedAt: now })
      .execute();
    link(id);
    recordAudit(tx, {
      actor: systemActor("sign-in"),
      action: "user.created",
      subjectType: "user",
      subjectId: id,
      after: { email: ownEmail, role: "developer", provider: identity.provider, subject, claimedEmail: claimed, emailVerified: verified },
    });
    return { ok: true, account: { id, sessionVersion: 0 }, linked: "new_account" };
  });
}
