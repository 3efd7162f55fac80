// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import mfaHtml from "../mfa.html?raw";
import { initMfaPage, type MfaPage, type MfaRequest } from "../src/mfa-page";
import { fakeInvoke, loadBody, paste, typeValue } from "./dom";

const request: MfaRequest = {
  profile: "prod-admin",
  serial: "arn:aws:iam::123456789012:mfa/alice",
  seconds_left: null,
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const submitCalls = (inv: ReturnType<typeof fakeInvoke>) =>
  inv.mock.calls.filter(([cmd]) => cmd === "submit_mfa_code");

let page: MfaPage | undefined;

beforeEach(() => {
  loadBody(mfaHtml);
});

afterEach(() => {
  page?.dispose();
  page = undefined;
  vi.useRealTimers();
});

describe("mfa page", () => {
  it("has the required field attributes", () => {
    const code = $<HTMLInputElement>("code");
    expect(code.getAttribute("inputmode")).toBe("numeric");
    expect(code.getAttribute("autocomplete")).toBe("one-time-code");
    expect(code.hasAttribute("autofocus")).toBe(true);
    expect(code.hasAttribute("pattern")).toBe(false);
    expect($<HTMLFormElement>("mfa-form").noValidate).toBe(true);
    expect($("status").getAttribute("role")).toBe("status");
  });

  it("shows the profile and MFA device", async () => {
    const inv = fakeInvoke({ mfa_request: () => request });
    page = initMfaPage(document, inv);
    await page.ready;
    expect($("profile").textContent).toBe("prod-admin");
    expect($("serial").textContent).toBe(request.serial);
    expect($("countdown").textContent).toBe("");
    expect($("countdown").hidden).toBe(true); // no deadline, no "Time left" line
    expect($("countdown-label").hidden).toBe(true);
    expect(document.activeElement).toBe($("code"));
  });

  it('submits once when "123 456" is pasted', async () => {
    const inv = fakeInvoke({ mfa_request: () => request, submit_mfa_code: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    const ev = paste($("code"), "123 456");
    expect(ev.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect($("status").textContent).toBe("Code accepted"));
    expect(submitCalls(inv)).toEqual([["submit_mfa_code", { code: "123456" }]]);
    expect($<HTMLInputElement>("code").value).toBe("123456");
    expect($<HTMLInputElement>("code").disabled).toBe(true);
  });

  it.each([
    ["123-456", "123456"],
    ["12 34 56", "123456"],
    ["000000", "000000"],
  ])('submits when the field is set to %j by the browser (input event)', async (raw, code) => {
    const inv = fakeInvoke({ mfa_request: () => request, submit_mfa_code: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    typeValue($("code"), raw);
    await vi.waitFor(() => expect($("status").textContent).toBe("Code accepted"));
    expect(submitCalls(inv)).toEqual([["submit_mfa_code", { code }]]);
  });

  it("does not submit on fewer than six digits, until the sixth is typed", async () => {
    const inv = fakeInvoke({ mfa_request: () => request, submit_mfa_code: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    const field = $<HTMLInputElement>("code");
    for (const v of ["1", "12", "123", "1234", "12345"]) typeValue(field, v);
    expect(submitCalls(inv)).toHaveLength(0);
    typeValue(field, "123456");
    await vi.waitFor(() => expect(submitCalls(inv)).toHaveLength(1));
  });

  it("Enter with an incomplete code explains and keeps focus, without calling Rust", async () => {
    const inv = fakeInvoke({ mfa_request: () => request, submit_mfa_code: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    typeValue($("code"), "12");
    $<HTMLFormElement>("mfa-form").requestSubmit();
    await page.submit();
    expect(submitCalls(inv)).toHaveLength(0);
    expect($("status").textContent).toMatch(/six digits/);
    expect(document.activeElement).toBe($("code"));
  });

  it("RejectedCode: shows the message, clears the field and refocuses", async () => {
    const inv = fakeInvoke({
      mfa_request: () => request,
      submit_mfa_code: () => {
        throw { code: "RejectedCode", message: "AWS rejected the code. Wait for the next one." };
      },
    });
    page = initMfaPage(document, inv);
    await page.ready;
    paste($("code"), "654321");
    await vi.waitFor(() =>
      expect($("status").textContent).toBe("AWS rejected the code. Wait for the next one."),
    );
    const field = $<HTMLInputElement>("code");
    expect(field.value).toBe("");
    expect(field.disabled).toBe(false);
    expect(field.readOnly).toBe(false);
    expect(document.activeElement).toBe(field);
    expect(submitCalls(inv)).toHaveLength(1);

    // A new code can be entered afterwards.
    typeValue(field, "111111");
    await vi.waitFor(() => expect(submitCalls(inv)).toHaveLength(2));
  });

  it("InvalidCode: shows the message and keeps the value and focus", async () => {
    const inv = fakeInvoke({
      mfa_request: () => request,
      submit_mfa_code: () => {
        throw { code: "InvalidCode", message: "The code must be six digits." };
      },
    });
    page = initMfaPage(document, inv);
    await page.ready;
    typeValue($("code"), "123456");
    await vi.waitFor(() => expect($("status").textContent).toBe("The code must be six digits."));
    expect($<HTMLInputElement>("code").value).toBe("123456");
    expect(document.activeElement).toBe($("code"));
  });

  it("NoRequest: shows the message and disables the form", async () => {
    const inv = fakeInvoke({
      mfa_request: () => request,
      submit_mfa_code: () => {
        throw { code: "NoRequest", message: "No session is waiting for a code." };
      },
    });
    page = initMfaPage(document, inv);
    await page.ready;
    typeValue($("code"), "123456");
    await vi.waitFor(() => expect($("status").textContent).toBe("No session is waiting for a code."));
    expect($<HTMLInputElement>("code").disabled).toBe(true);
    expect($<HTMLButtonElement>("submit").disabled).toBe(true);
  });

  it("other errors: shows the message only", async () => {
    const inv = fakeInvoke({
      mfa_request: () => request,
      submit_mfa_code: () => {
        throw new Error("socket closed");
      },
    });
    page = initMfaPage(document, inv);
    await page.ready;
    typeValue($("code"), "123456");
    await vi.waitFor(() => expect($("status").textContent).toBe("Error: socket closed"));
    expect($<HTMLInputElement>("code").disabled).toBe(false);
  });

  it("null request: says so and disables the field", async () => {
    const inv = fakeInvoke({ mfa_request: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    expect($("status").textContent).toBe("No session is waiting for a code.");
    expect($<HTMLInputElement>("code").disabled).toBe(true);
    typeValue($("code"), "123456");
    await page.submit();
    expect(submitCalls(inv)).toHaveLength(0);
  });

  it("outside Tauri (invoke throws): shows the error gracefully", async () => {
    const inv = vi.fn(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'invoke')");
    });
    page = initMfaPage(document, inv);
    await page.ready;
    expect($("status").textContent).toBe(
      "Could not load the request: TypeError: Cannot read properties of undefined (reading 'invoke')",
    );
    expect($<HTMLInputElement>("code").disabled).toBe(true);
  });

  it("Escape, Ctrl+W and the Cancel button call cancel_mfa; other keys do not", async () => {
    const inv = fakeInvoke({ mfa_request: () => request, cancel_mfa: () => null });
    page = initMfaPage(document, inv);
    await page.ready;
    const key = (init: KeyboardEventInit) =>
      $("code").dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));
    key({ key: "w" });
    key({ key: "Enter" });
    key({ key: "Escape" });
    key({ key: "w", ctrlKey: true });
    $("cancel").click();
    await vi.waitFor(() =>
      expect(inv.mock.calls.filter(([c]) => c === "cancel_mfa")).toEqual([["cancel_mfa"], ["cancel_mfa"], ["cancel_mfa"]]),
    );
  });

  it("asks for the window to fit its content after loading and after each status", async () => {
    const fit = vi.fn();
    const inv = fakeInvoke({ mfa_request: () => request });
    // jsdom lays nothing out: give the status line a bottom edge.
    vi.spyOn($("status"), "getBoundingClientRect").mockReturnValue({ bottom: 180 } as DOMRect);
    page = initMfaPage(document, inv, { fit });
    await page.ready;
    expect(fit).toHaveBeenCalled();
    expect(fit).toHaveBeenLastCalledWith(180); // + main's bottom padding, 0 here (no style.css)
  });

  it("counts down seconds_left each second and stops at expiry", async () => {
    vi.useFakeTimers();
    const inv = fakeInvoke({ mfa_request: () => ({ ...request, seconds_left: 62 }) });
    page = initMfaPage(document, inv);
    await page.ready;
    expect($("countdown").textContent).toBe("1:02");
    expect($("countdown").hidden).toBe(false);
    expect($("countdown-label").textContent).toBe("Time left");
    expect($("countdown-label").hidden).toBe(false);
    vi.advanceTimersByTime(1000);
    expect($("countdown").textContent).toBe("1:01");
    vi.advanceTimersByTime(2000);
    expect($("countdown").textContent).toBe("0:59");
    vi.advanceTimersByTime(59_000);
    expect($("countdown").textContent).toBe("expired");
    expect($<HTMLInputElement>("code").disabled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
