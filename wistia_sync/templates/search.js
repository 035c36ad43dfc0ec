// wistia-sync search client: an ES module with no dependencies, published as search.js.
//
//   import { createSearch } from "./search.js";
//   const search = createSearch(new URL("search/index.json", location.href));
//   const { total, results } = await search.query("onboarding chec", { tag: "sales", limit: 10 });
//
// It reads one snapshot of the index (search/index.json, read once: call refresh() for a newer
// one), fetches only the term shards a query's words fall in and the display records of the
// results it returns, and aborts what a stale query was still fetching when a newer one starts
// (that query rejects with an AbortError). A file gone (a takedown removes the files holding a
// video at once) makes it read the entry again and retry. Folding and tokenising are the index's own
// (wistia_sync/contract/search.py): every word is required, the last one is a prefix.

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const MASK_DIGITS = "0123456789abcdefghijklmnopqrstuv";
const MAX_PREFIX_SHARDS = 4; // a one-letter prefix would otherwise fetch a slice of the index
const TOP = "\u{10ffff}";

export function fold(text) {
  return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/\u00df/g, "ss").replace(/\u03c2/g, "\u03c3");
}

export function tokens(text, maxLength = 24) {
  const found = [];
  for (const [run] of fold(text).matchAll(/[\p{L}\p{N}]+/gu)) {
    const characters = Array.from(run);
    if (characters.some((c) => CJK.test(c))) {
      let word = "";
      for (const c of characters) {
        if (CJK.test(c)) {
          if (word) found.push(word);
          found.push(c);
          word = "";
        } else {
          word += c;
        }
      }
      if (word) found.push(word);
    } else {
      found.push(run);
    }
  }
  return found.map((token) => Array.from(token).slice(0, maxLength).join(""));
}

// Keys compare by code point, as the publisher sorts them (not by UTF-16 unit).
function compareText(a, b) {
  if (a === b) return 0;
  const x = Array.from(a), y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

function compareKey(term, number, shard) {
  return compareText(term, shard[0]) || number - shard[1];
}

function highestField(mask) {
  return mask ? 1 << (31 - Math.clz32(mask)) : 0;
}

export function createSearch(entryUrl, { fetch: get = globalThis.fetch.bind(globalThis) } = {}) {
  const entryHref = String(new URL(entryUrl, globalThis.location ? globalThis.location.href : undefined));
  const files = new Map(); // immutable files by URL: fetched once
  let entry = null;
  let running = null;

  async function json(url, signal) {
    const response = await get(url, { signal });
    if (!response.ok) {
      throw Object.assign(new Error(`${url} answered ${response.status}`), { status: response.status });
    }
    return response.json();
  }

  // Shared between queries: a file a stale query stopped fetching is fetched again by the next.
  async function immutable(url, signal) {
    for (;;) {
      signal.throwIfAborted();
      if (!files.has(url)) {
        const pending = json(url, signal);
        files.set(url, pending);
        pending.catch(() => { if (files.get(url) === pending) files.delete(url); });
      }
      const pending = files.get(url);
      try {
        return await pending;
      } catch (error) {
        if (error.name !== "AbortError" || signal.aborted) throw error;
        if (files.get(url) === pending) files.delete(url);
      }
    }
  }

  async function loadEntry() {
    if (!entry) { // never aborted: every query of this snapshot shares it
      entry = json(entryHref);
      entry.catch(() => { entry = null; });
    }
    return entry;
  }

  // The shards holding the word (and, for a prefix, its completions): [start, end) indexes.
  function shardRange(index, word, prefix) {
    const shards = index.shards;
    let low = 0, high = shards.length;
    while (low < high) { // the last shard starting at or before (word, 0)
      const middle = (low + high) >> 1;
      if (compareKey(word, 0, shards[middle]) >= 0) low = middle + 1; else high = middle;
    }
    const first = Math.max(low - 1, 0);
    let last = first + 1;
    const limit = prefix ? word + TOP : word;
    while (last < shards.length && compareText(shards[last][0], limit) <= 0) {
      if (prefix && last - first >= MAX_PREFIX_SHARDS) break;
      last++;
    }
    return [first, last];
  }

  async function postings(index, word, prefix, signal) {
    const [first, last] = shardRange(index, word, prefix);
    const urls = index.shards.slice(first, last).map((s) => String(new URL(s[2], entryHref)));
    const shards = await Promise.all(urls.map((url) => immutable(url, signal)));
    const scores = new Map();
    for (const shard of shards) {
      for (const [term, deltas, masks] of shard.terms) {
        const exact = term === word;
        if (!exact && !(prefix && term.startsWith(word) && !term.startsWith("#"))) continue;
        let number = 0;
        deltas.forEach((delta, i) => {
          number += delta;
          const mask = MASK_DIGITS.indexOf(masks.length > 1 ? masks[i] : masks);
          const score = highestField(mask) * (exact ? 2 : 1);
          if (!(scores.get(number) >= score)) scores.set(number, score);
        });
      }
    }
    return scores;
  }

  async function record(index, number, signal) {
    const perList = index.record_block * index.record_list_blocks;
    const list = index.record_lists.find(([chunk]) => chunk === Math.floor(number / perList));
    if (!list) return null;
    const listUrl = String(new URL(list[1], entryHref));
    const blocks = await immutable(listUrl, signal);
    const block = blocks.blocks.find(([b]) => b === Math.floor(number / index.record_block));
    if (!block) return null;
    const blockUrl = String(new URL(block[1], listUrl));
    const found = (await immutable(blockUrl, signal)).records.find((r) => r.id === number);
    return found ? { ...found, url: String(new URL(found.url, blockUrl)) } : null;
  }

  async function run(text, { tag = null, folder = null, limit = 10 } = {}, signal) {
    const index = await loadEntry();
    signal.throwIfAborted();
    const words = tokens(text, index.max_term_length);
    const lookups = words.map((word, i) => postings(index, word, i === words.length - 1, signal));
    if (tag) lookups.push(postings(index, "#t:" + tag, false, signal));
    if (folder) lookups.push(postings(index, "#f:" + folder, false, signal));
    if (!lookups.length) return { total: 0, results: [] };
    const lists = await Promise.all(lookups);
    let scores = lists[0];
    for (const other of lists.slice(1)) {
      const next = new Map();
      for (const [number, score] of scores) {
        if (other.has(number)) next.set(number, score + (words.length ? other.get(number) : 0));
      }
      scores = next;
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
    const top = ranked.slice(0, limit);
    const records = await Promise.all(top.map(([number]) => record(index, number, signal)));
    signal.throwIfAborted();
    return {
      total: ranked.length,
      results: records.map((r, i) => r && { ...r, score: top[i][1] }).filter(Boolean),
    };
  }

  return {
    // Ranked results with their display records; a newer query aborts this one.
    query(text, options) {
      if (running) running.abort();
      const controller = new AbortController();
      running = controller;
      // A 404: a takedown removed a file of an older snapshot; read the entry again, once.
      const attempt = () => run(text, options, controller.signal);
      return attempt().catch((error) => {
        if (error.status !== 404 || controller.signal.aborted) throw error;
        entry = null;
        return attempt();
      }).finally(() => {
        if (running === controller) running = null;
      });
    },
    // Read the entry again on the next query (a newer publish's snapshot).
    refresh() {
      entry = null;
    },
  };
}
