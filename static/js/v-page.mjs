/**
 * The /v/{TOKEN} page (server-rendered, complete without JavaScript): where scripts run, the
 * signature is also checked on the phone and said so under the verdict — 「签名有效（本机核验）：
 * 由…签发」 — and the service worker is registered, so that the next check works offline too.
 */
import { checkLocally, localWords, registerServiceWorker } from "./offline-check.mjs";

async function main() {
  registerServiceWorker();
  const verdictBox = document.querySelector(".verdict");
  if (!verdictBox) return;
  const { verdict } = await checkLocally(location.href);
  if (!verdict) return;
  const meta = document.querySelector('meta[name="registry-name"]');
  const [tone, title, desc] = localWords(verdict, (meta && meta.content) || "登记中心");
  const note = document.createElement("p");
  note.className = `local-check local-check--${tone}`;
  note.setAttribute("role", "note");
  note.dataset.localVerdict = verdict.reason;
  const strong = document.createElement("strong");
  strong.textContent = title;
  note.append(strong, " ", desc);
  verdictBox.after(note);
}

main();
