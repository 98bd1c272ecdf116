import { defineAgeGate } from "@blindgate/sdk/browser";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/*
 * <age-gate> and the wallet's first-use wait: the element runs the real prove(), in a small stand-in for the
 * browser (elements, the wallet's window, the page's message events), and the test reads the request that reaches
 * the wallet's window. Only `skip-first-use-delay` (empty or "true") adds `noDelay: true`; by default the request
 * carries no such field and the wallet keeps its wait.
 */

const WALLET = "https://wallet.example/wallet/";

/** What the element and prove() use of a DOM element. */
class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly dataset: Record<string, string> = {};
  readonly listeners = new Map<string, () => void>();
  children: FakeElement[] = [];
  textContent = "";
  innerHTML = "";
  disabled = false;
  type = "";
  href = "";
  target = "";
  rel = "";
  referrerPolicy = "";
  hidden = false;
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  closest(): null {
    return null;
  }
  replaceChildren(...children: FakeElement[]): void {
    this.children = children;
  }
  addEventListener(type: string, listener: () => void): void {
    this.listeners.set(type, listener);
  }
  dispatchEvent(): boolean {
    return true;
  }
  append(): void {}
  click(): void {}
  remove(): void {}
}

/** The wallet's window as the site's page sees it: another origin (its location cannot be read). */
class FakeWalletWindow {
  readonly posted: { message: unknown; origin: string }[] = [];
  closed = false;
  get location(): never {
    throw new Error("SecurityError: another origin");
  }
  focus(): void {}
  close(): void {
    this.closed = true;
  }
  postMessage(message: unknown, origin: string): void {
    this.posted.push({ message, origin });
  }
}

let wallet: FakeWalletWindow;
let defined: Map<string, new () => FakeElement>;

beforeEach(() => {
  wallet = new FakeWalletWindow();
  defined = new Map();
  vi.stubGlobal("HTMLElement", FakeElement);
  vi.stubGlobal("customElements", {
    get: (name: string) => defined.get(name),
    define: (name: string, element: new () => FakeElement) => defined.set(name, element),
  });
  vi.stubGlobal("document", { createElement: () => new FakeElement(), body: new FakeElement() });
  vi.stubGlobal("location", { href: "https://site.example/mixed" });
  vi.stubGlobal("navigator", { languages: ["en-GB"], language: "en-GB" });
  vi.stubGlobal("window", {
    open: () => wallet,
    addEventListener: () => {},
    removeEventListener: () => {},
  });
  vi.stubGlobal("CustomEvent", class {});
  // nothing is fetched: session="none", and the proof never completes here
  vi.stubGlobal(
    "fetch",
    vi.fn(() => Promise.reject(new Error("no fetch expected"))),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** An <age-gate session="none"> with these attributes, connected, its button clicked; the request to the wallet. */
async function requestFrom(attributes: Record<string, string>): Promise<Record<string, unknown>> {
  defineAgeGate({ walletUrl: WALLET });
  const AgeGate = defined.get("age-gate");
  if (AgeGate === undefined) throw new Error("age-gate was not defined");
  const gate = new AgeGate();
  gate.setAttribute("min-age", "18");
  gate.setAttribute("session", "none");
  for (const [name, value] of Object.entries(attributes)) gate.setAttribute(name, value);
  (gate as unknown as { connectedCallback(): void }).connectedCallback();
  const button = gate.children.find((c) => c.getAttribute("part") === "prove-button");
  const status = gate.children.find((c) => c.getAttribute("part") === "status");
  if (button === undefined || status === undefined) throw new Error("no button or status");
  await vi.waitFor(() => expect(button.disabled).toBe(false));
  button.listeners.get("click")?.();
  await vi.waitFor(() => expect(wallet.posted).toHaveLength(1));
  // the person closes the wallet: the element says so and offers the button again
  wallet.closed = true;
  await vi.waitFor(() => expect(status.textContent).toContain("did not prove the age asked"));
  expect(status.textContent).not.toContain("NOT_PROVEN"); // words for the person; the code is in data-code
  expect(status.dataset.code).toBe("NOT_PROVEN");
  expect(button.disabled).toBe(false);
  expect(fetch).not.toHaveBeenCalled();
  const [{ message, origin }] = wallet.posted as [{ message: Record<string, unknown>; origin: string }];
  expect(origin).toBe("https://wallet.example");
  expect(message).toMatchObject({ type: "blindgate:token-request", minAge: 18 });
  return message;
}

describe("<age-gate> and the first-use wait", () => {
  it("by default asks the wallet with no noDelay: the wallet keeps its wait", async () => {
    const message = await requestFrom({});
    expect(message).not.toHaveProperty("noDelay");
  });

  it.each([
    ["present with no value", ""],
    ['"true"', "true"],
    ['"TRUE"', "TRUE"],
  ])("skip-first-use-delay %s asks the wallet not to wait (noDelay: true)", async (_, value) => {
    const message = await requestFrom({ "skip-first-use-delay": value });
    expect(message.noDelay).toBe(true);
  });

  it.each([
    ['"false"', "false"],
    ["any other value", "no"],
  ])("skip-first-use-delay %s keeps the wait", async (_, value) => {
    const message = await requestFrom({ "skip-first-use-delay": value });
    expect(message).not.toHaveProperty("noDelay");
  });
});
