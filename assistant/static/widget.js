/*
 * faq-assistant chat widget: plain JavaScript, no build step, no dependencies.
 *
 *   <script src="https://host/widget.js" data-endpoint="https://host" defer></script>
 *
 * adds a launcher button that opens a chat panel. Everything lives in a Shadow
 * DOM, so the host page's styles cannot reach in and ours cannot leak out.
 * Server text is only ever inserted with textContent, never as HTML. The
 * server is stateless: the conversation context it returns is kept here and
 * sent back with the next question.
 *
 * Optional attributes: data-endpoint (default: where widget.js came from),
 * data-title (the launcher and panel title).
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || customElements.get("faq-assistant-widget")) return;  // one widget per page

  const endpoint = (script.dataset.endpoint || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  const title = script.dataset.title || "Questions? Ask us";
  const TIMEOUT_MS = 15000;
  const TEXT = {
    greeting: "Hi! Ask me a question.",
    down: "Sorry, the assistant can't be reached right now. Please check your connection and try again in a moment.",
    failed: "Sorry, something went wrong on our side. Please try again.",
    restart: "That conversation has expired, so I started a new one.",
    thinking: "Thinking…",
    chips: "Related questions",
    options: "Pick one",
  };

  customElements.define("faq-assistant-widget", class extends HTMLElement {});

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;  // text, never HTML
    return node;
  }

  class ServerDown extends Error {}

  async function call(path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    const options = { signal: controller.signal, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      Object.assign(options, { method: "POST", body: JSON.stringify(body) });
      options.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(endpoint + path, options);
    } catch (err) {
      throw new ServerDown(String(err));
    } finally {
      clearTimeout(timer);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok || !data) {
      const error = new Error((data && data.error) || TEXT.failed);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  class Widget {
    constructor() {
      this.context = null;
      this.turn = 0;
      this.busy = false;
      this.started = false;
      this.build();
    }

    build() {
      const host = document.createElement("faq-assistant-widget");
      const root = host.attachShadow({ mode: "open" });
      const style = el("link");
      style.rel = "stylesheet";
      style.href = endpoint + "/widget.css";

      this.launcher = el("button", "launcher", title);
      this.launcher.type = "button";
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-controls", "panel");

      this.panel = el("section", "panel");
      this.panel.id = "panel";
      this.panel.hidden = true;
      this.panel.setAttribute("role", "dialog");
      this.panel.setAttribute("aria-labelledby", "title");

      const header = el("header", "header");
      const heading = el("h2", "title", title);
      heading.id = "title";
      const close = el("button", "close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "Close chat");

      this.log = el("ol", "messages");
      this.log.setAttribute("role", "log");
      this.log.setAttribute("aria-live", "polite");
      this.log.setAttribute("aria-label", "Conversation");

      const form = el("form", "composer");
      this.input = el("input", "input");
      Object.assign(this.input, { type: "text", name: "question", autocomplete: "off", maxLength: 1000 });
      this.input.setAttribute("aria-label", "Your question");
      this.input.placeholder = "Type your question…";
      this.input.setAttribute("enterkeyhint", "send");
      const sendButton = el("button", "send", "Send");
      sendButton.type = "submit";

      header.append(heading, close);
      form.append(this.input, sendButton);
      this.panel.append(header, this.log, form);
      root.append(style, this.launcher, this.panel);
      document.body.append(host);

      this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
      close.addEventListener("click", () => this.close());
      this.panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") { event.preventDefault(); this.close(); }
      });
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const question = this.input.value.trim();
        if (question && !this.busy) { this.input.value = ""; this.ask(question, question); }
      });
    }

    open() {
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this.input.focus();
      if (!this.started) { this.started = true; this.greet(); }
    }

    close() {
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.focus();
    }

    async greet() {
      try {
        this.showReply(await call("/api/greeting"));
      } catch (err) {
        this.add("bot", TEXT.greeting);
        this.showError(err);
      }
    }

    /* Send `question` (maybe a choice number) and show `shown` as what the person asked. */
    async ask(question, shown) {
      if (this.busy) return;
      this.busy = true;
      this.add("user", shown);
      const pending = this.add("pending", TEXT.thinking);
      try {
        this.showReply(await this.post(question));
      } catch (err) {
        this.showError(err);
      } finally {
        pending.remove();
        this.busy = false;
        if (!this.panel.hidden) this.input.focus();
      }
    }

    async post(question) {
      try {
        return await call("/api/ask", { question, context: this.context });
      } catch (err) {
        if (err.status !== 400 || this.context === null) throw err;
        this.context = null;  // e.g. the knowledge changed since: start afresh rather than fail
        this.add("notice", TEXT.restart);
        return call("/api/ask", { question, context: null });
      }
    }

    showReply(reply) {
      this.context = reply.context || null;
      this.turn += 1;
      const message = this.add("bot", reply.text);
      message.dataset.status = reply.status;
      const clarify = reply.status === "clarify" && reply.options.length > 0;
      const choices = clarify ? reply.options : reply.suggestions;
      if (choices && choices.length) message.append(this.chips(choices, clarify ? TEXT.options : TEXT.chips));
    }

    chips(choices, label) {
      const group = el("div", "chips");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", label);
      const turn = this.turn;
      choices.forEach((choice, index) => {
        const chip = el("button", "chip", choice.question);
        chip.type = "button";
        // The latest choices are numbered in the context: send the number, exact and unambiguous.
        chip.addEventListener("click", () => this.ask(turn === this.turn ? String(index + 1) : choice.question, choice.question));
        group.append(chip);
      });
      return group;
    }

    showError(err) {
      const text = err instanceof ServerDown || !err.status || err.status >= 500 ? TEXT.down : err.message;
      this.add("error", text);  // the log is aria-live already
    }

    add(kind, text) {
      const item = el("li", "message message-" + kind);
      item.append(el("p", "text", text));
      this.log.append(item);
      this.log.scrollTop = this.log.scrollHeight;
      return item;
    }
  }

  const start = () => new Widget();
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
