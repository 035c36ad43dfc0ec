"use strict";
// The preview reads the published JSON exactly as a frontend would: manifest.json, the indexes,
// each playlist's entry file and then its immutable pages (a long playlist's later pages through
// the chunks its page_lists names), every link resolved against the URL of the file holding it. Text goes in with textContent only: nothing from the JSON is HTML.
(function () {
  const gallery = document.getElementById("gallery");
  const nav = document.getElementById("nav");
  const heading = document.getElementById("heading");
  const status = document.getElementById("status");
  const more = document.getElementById("more");
  const player = document.getElementById("player");
  const manifestUrl = new URL("manifest.json", document.baseURI);
  let pending = [];
  // Bumped by each playlist switch: an answer for an earlier one (a slow "More videos", or a
  // playlist opened before) arrives to find the number changed, and is dropped.
  let generation = 0;

  async function getJson(url) {
    // no-cache: revalidate every time (a 304 is cheap), so a reload shows the current publish.
    const response = await fetch(url, { cache: "no-cache" });
    if (!response.ok) throw new Error(response.status + " " + url.pathname);
    return response.json();
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function duration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) return "";
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function safeHttpsUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(text, hash, className) {
    const anchor = element("a", className, text);
    anchor.href = hash;
    return anchor;
  }

  function card(video) {
    const item = element("li", "card");
    item.dataset.hashedId = String(video.hashed_id);
    const thumbnail = safeHttpsUrl(video.thumbnail_url);
    const figure = element("div", "thumb");
    if (thumbnail) {
      const image = element("img");
      image.src = thumbnail;
      image.alt = "";
      image.loading = "lazy";
      image.addEventListener("error", () => image.remove());
      figure.appendChild(image);
    }
    const time = duration(video.duration);
    if (time) figure.appendChild(element("span", "duration", time));
    item.appendChild(figure);
    const name = element("h3", "name");
    const player = safeHttpsUrl(video.embed_url);
    if (player) {
      const anchor = element("a", null, video.name);
      anchor.href = player;
      anchor.rel = "noopener noreferrer";
      anchor.target = "_blank";
      name.appendChild(anchor);
    } else {
      name.textContent = String(video.name);
    }
    item.appendChild(name);
    if (video.folder && video.folder.hashed_id) {
      item.appendChild(link(video.folder.name, "#folder/" + encodeURIComponent(video.folder.hashed_id), "folder"));
    }
    const tags = element("ul", "tags");
    for (const tag of Array.isArray(video.tags) ? video.tags : []) {
      if (!tag || !tag.slug) continue;
      const chip = element("li");
      chip.appendChild(link(tag.name, "#tag/" + encodeURIComponent(tag.slug)));
      tags.appendChild(chip);
    }
    item.appendChild(tags);
    const captions = captionTracks(video);
    const chapters = chapterList(video);
    if (captions.length || chapters.length) {
      const watch = element("button", "watch", "Watch");
      watch.type = "button";
      watch.addEventListener("click", () => openPlayer(video, captions, chapters));
      item.appendChild(watch);
    }
    return item;
  }

  // A caption's url is relative to the site's root (the manifest's folder), whatever file held
  // the video object; only the publisher's own caption paths are followed.
  function captionTracks(video) {
    const tracks = [];
    for (const caption of Array.isArray(video.captions) ? video.captions : []) {
      if (!caption || typeof caption.url !== "string") continue;
      if (!/^captions\/[A-Za-z0-9.-]+\.vtt$/.test(caption.url)) continue;
      if (!/^[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}$/.test(String(caption.lang))) continue;
      tracks.push({ lang: String(caption.lang), label: String(caption.label || caption.lang), url: new URL(caption.url, manifestUrl) });
    }
    return tracks;
  }

  function chapterList(video) {
    return (Array.isArray(video.chapters) ? video.chapters : [])
      .filter((chapter) => chapter && typeof chapter.start === "number" && isFinite(chapter.start) && chapter.start >= 0)
      .map((chapter) => ({ title: String(chapter.title), start: chapter.start }));
  }

  // The player view: the HLS stream where the browser plays it, its captions as <track>s
  // switched by the select (or the video's own menu), its chapters as buttons that seek.
  function openPlayer(video, captions, chapters) {
    player.replaceChildren();
    player.dataset.hashedId = String(video.hashed_id);
    player.appendChild(element("h3", null, video.name));
    const media = element("video");
    media.controls = true;
    media.preload = "none";
    media.playsInline = true;
    const stream = safeHttpsUrl(video.hls_url);
    if (stream) media.src = stream;
    for (const caption of captions) {
      const track = element("track");
      track.kind = "captions";
      track.srclang = caption.lang;
      track.label = caption.label;
      track.src = caption.url.href;
      media.appendChild(track);
    }
    player.appendChild(media);
    const controls = element("p");
    if (captions.length) {
      const label = element("label", null, "Captions");
      label.htmlFor = "captions";
      const select = element("select");
      select.id = "captions";
      select.appendChild(new Option("Off", ""));
      for (const caption of captions) select.appendChild(new Option(caption.label, caption.lang));
      select.addEventListener("change", () => {
        for (const track of media.textTracks) {
          track.mode = track.language === select.value ? "showing" : "disabled";
        }
      });
      controls.append(label, select);
    }
    const close = element("button", null, "Close");
    close.type = "button";
    close.addEventListener("click", () => {
      media.pause();
      player.replaceChildren();
      player.hidden = true;
    });
    controls.appendChild(close);
    player.appendChild(controls);
    if (chapters.length) {
      const list = element("ol", "chapters");
      list.setAttribute("aria-label", "Chapters");
      for (const chapter of chapters) {
        const item = element("li");
        const seek = element("button", null, duration(Math.floor(chapter.start)) + " " + chapter.title);
        seek.type = "button";
        seek.dataset.start = String(chapter.start);
        seek.addEventListener("click", () => {
          media.currentTime = chapter.start;
          const playing = media.play();
          if (playing) playing.catch(() => {});  // no stream here: the position still moves
        });
        item.appendChild(seek);
        list.appendChild(item);
      }
      player.appendChild(list);
    }
    player.hidden = false;
    player.scrollIntoView({ block: "nearest" });
  }

  function show(videos) {
    for (const video of Array.isArray(videos) ? videos : []) {
      if (video && video.hashed_id) gallery.appendChild(card(video));
    }
  }

  async function loadNextPage() {
    const mine = generation;
    let next = pending.shift();
    more.hidden = true;
    try {
      while (next && next.chunk) {  // a chunk of the page list: its pages come next, in order
        const base = next.url;
        const chunk = await getJson(base);
        if (mine !== generation) return;
        pending = (Array.isArray(chunk.pages) ? chunk.pages : [])
          .map((page) => ({ url: new URL(page.url, base), chunk: false }))
          .concat(pending);
        next = pending.shift();
      }
      const page = next ? await getJson(next.url) : null;
      if (mine !== generation) return;
      if (page) show(page.videos);
    } catch (error) {
      if (mine === generation) throw error;
      return;
    }
    more.hidden = pending.length === 0;
  }

  async function openPlaylist(path, hash) {
    const mine = ++generation;
    pending = [];
    more.hidden = true;
    markCurrent(hash);
    const url = new URL(path, manifestUrl);
    let playlist;
    try {
      playlist = await getJson(url);
    } catch (error) {
      if (mine === generation) throw error;
      return;
    }
    if (mine !== generation) return;
    gallery.replaceChildren();
    heading.textContent = String(playlist.title || "Videos") + " (" + Number(playlist.count || 0) + ")";
    pending = (Array.isArray(playlist.pages) ? playlist.pages : [])
      .map((page) => ({ url: new URL(typeof page === "string" ? page : page.url, url), chunk: false }))
      .concat((Array.isArray(playlist.page_lists) ? playlist.page_lists : [])
        .map((list) => ({ url: new URL(list.url, url), chunk: true })));
    show(playlist.videos);
    more.hidden = pending.length === 0;
  }

  function navigation(manifest, tags, folders) {
    nav.replaceChildren();
    const all = element("section");
    all.appendChild(link("All videos (" + Number(manifest.counts && manifest.counts.videos || 0) + ")", "#all", "all"));
    nav.appendChild(all);
    for (const [title, entries, prefix, key] of [
      ["Tags", tags.tags, "#tag/", "slug"],
      ["Folders", folders.folders, "#folder/", "hashed_id"],
    ]) {
      const section = element("section");
      section.appendChild(element("h2", null, title));
      const list = element("ul");
      for (const entry of Array.isArray(entries) ? entries : []) {
        const item = element("li");
        item.appendChild(link(entry.name + " (" + Number(entry.count || 0) + ")", prefix + encodeURIComponent(entry[key])));
        list.appendChild(item);
      }
      section.appendChild(list);
      nav.appendChild(section);
    }
  }

  // The open playlist's link says so: aria-current for assistive technology, and its style.
  function markCurrent(hash) {
    let current = null;
    for (const anchor of nav.querySelectorAll("a")) {
      if (anchor.getAttribute("href") === hash && !current) {
        anchor.setAttribute("aria-current", "page");
        current = anchor;
      } else {
        anchor.removeAttribute("aria-current");
      }
    }
    const row = current && current.closest("ul");
    if (row && row.scrollWidth > row.clientWidth) {  // a phone's sideways row: bring it into view
      row.scrollLeft += current.getBoundingClientRect().left - row.getBoundingClientRect().left - 16;
    }
  }

  function route(manifest) {
    const [kind, key] = location.hash.replace(/^#/, "").split("/");
    const safe = /^[A-Za-z0-9-]{1,100}$/;
    if (kind === "tag" && safe.test(key || "")) {
      return openPlaylist("tags/" + key + ".json", "#tag/" + key);
    }
    if (kind === "folder" && safe.test(key || "")) {
      return openPlaylist("folders/" + key + ".json", "#folder/" + key);
    }
    return openPlaylist(manifest.videos || "videos.json", "#all");
  }

  async function start() {
    try {
      const manifest = await getJson(manifestUrl);
      const [tags, folders] = await Promise.all([
        getJson(new URL(manifest.tags || "tags.json", manifestUrl)),
        getJson(new URL(manifest.folders || "folders.json", manifestUrl)),
      ]);
      navigation(manifest, tags, folders);
      await route(manifest);
      status.textContent = manifest.updated_at ? "Published " + String(manifest.updated_at) : "";
      document.body.dataset.ready = "true";
      window.addEventListener("hashchange", () => route(manifest).catch(fail));
    } catch (error) {
      fail(error);
    }
  }

  function fail(error) {
    status.textContent = "Could not load the playlists: " + error.message;
    document.body.dataset.ready = "error";
  }

  // Search (search.js, loaded on first use): each keystroke's query aborts the one before.
  const searchBox = document.getElementById("search");
  let searcher = null;
  async function runSearch() {
    const text = searchBox.value;
    if (!text.trim()) {
      document.body.dataset.search = "";
      return route(await getJson(manifestUrl));
    }
    const mine = ++generation;
    more.hidden = true;
    if (!searcher) {
      const client = await import(new URL("search.js", manifestUrl).href);
      searcher = client.createSearch(new URL("search/index.json", manifestUrl));
    }
    let found;
    try {
      found = await searcher.query(text, { limit: 24 });
    } catch (error) {
      if (error.name === "AbortError" || mine !== generation) return;
      throw error;
    }
    if (mine !== generation) return;
    gallery.replaceChildren();
    heading.textContent = "Search: " + text + " (" + Number(found.total) + ")";
    show(found.results);
    document.body.dataset.search = text;
  }
  searchBox.addEventListener("input", () => runSearch().catch(fail));

  more.addEventListener("click", () => loadNextPage().catch(fail));
  start();
})();
