// Beside Outfitters: a tiny demo shop. One script for all pages; each page names
// itself in <body data-page>.
"use strict";

const PRODUCTS = [
  { id: 1, name: "Harbour Rain Jacket", price: 129, colour: "#2f5d46", text: "A light, fully taped rain jacket that packs into its own pocket." },
  { id: 2, name: "Trailhead Wool Sweater", price: 89, colour: "#8a5a3b", text: "Warm undyed wool from small farms, knitted to last for years." },
  { id: 3, name: "Canvas Day Pack", price: 59, colour: "#46627a", text: "Waxed canvas, leather trim and a padded laptop sleeve. 22 litres." },
  { id: 4, name: "Merino Trail Socks", price: 19, colour: "#7a4660", text: "Cushioned merino socks that stay fresh on long days." },
  { id: 5, name: "Ridge Walking Boots", price: 149, colour: "#5b4a36", text: "Waterproof leather boots with a grippy, resoleable sole." },
  { id: 6, name: "Linen Camp Shirt", price: 49, colour: "#a0784a", text: "Breathable washed linen for warm evenings by the lake." },
];
const CART_KEY = "beside-outfitters-cart";

function money(n) {
  return "€" + n.toFixed(2);
}

function initials(name) {
  return name.split(" ").map((w) => w[0]).join("").slice(0, 2);
}

function loadCart() {
  try {
    const cart = JSON.parse(localStorage.getItem(CART_KEY) || "[]");
    return Array.isArray(cart) ? cart : [];
  } catch (e) {
    return [];
  }
}

function saveCart(cart) {
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
  const count = cart.reduce((n, item) => n + item.qty, 0);
  document.cookie = "cart_items=" + count + "; path=/; SameSite=Lax";
  updateCartCount();
}

function updateCartCount() {
  const count = loadCart().reduce((n, item) => n + item.qty, 0);
  document.querySelectorAll(".cart-count").forEach((el) => { el.textContent = String(count); });
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  });
  (children || []).forEach((c) => node.append(c));
  return node;
}

function productCard(p) {
  return el("a", { class: "card", href: "product.html?id=" + p.id }, [
    el("div", { class: "tile", style: "background:" + p.colour, text: initials(p.name), "aria-hidden": "true" }),
    el("div", { class: "body" }, [
      el("h2", { text: p.name }),
      el("div", { class: "price", text: money(p.price) }),
    ]),
  ]);
}

const pages = {
  index() {
    const q = (new URLSearchParams(location.search).get("q") || "").trim();
    const search = document.getElementById("search");
    search.value = q;
    const heading = document.getElementById("list-title");
    const grid = document.getElementById("products");
    let list = PRODUCTS;
    if (q) {
      heading.textContent = "Results for “" + q + "”";
      list = PRODUCTS.filter((p) => (p.name + " " + p.text).toLowerCase().includes(q.toLowerCase()));
      if (list.length === 0) grid.before(el("p", { class: "notice", id: "no-results", text: "No products match “" + q + "”. Try “jacket” or “wool”." }));
    }
    list.forEach((p) => grid.append(productCard(p)));
    const swatch = document.getElementById("swatch");
    swatch.addEventListener("click", () => {
      const alt = swatch.classList.toggle("alt");
      swatch.setAttribute("aria-pressed", String(alt));
      swatch.textContent = alt ? "Sunset orange" : "Forest green";
    });
  },

  product() {
    const id = Number(new URLSearchParams(location.search).get("id"));
    const p = PRODUCTS.find((x) => x.id === id) || PRODUCTS[0];
    document.title = "Beside Outfitters — " + p.name;
    document.getElementById("product-tile").style.background = p.colour;
    document.getElementById("product-tile").textContent = initials(p.name);
    document.getElementById("product-name").textContent = p.name;
    document.getElementById("product-price").textContent = money(p.price);
    document.getElementById("product-text").textContent = p.text;
    document.getElementById("add-to-cart").addEventListener("click", () => {
      const qty = Number(document.getElementById("qty").value) || 1;
      const cart = loadCart();
      const line = cart.find((item) => item.id === p.id);
      if (line) line.qty += qty;
      else cart.push({ id: p.id, qty: qty });
      saveCart(cart);
      const note = document.getElementById("added");
      note.hidden = false;
      note.textContent = qty + " × " + p.name + " added to your cart.";
    });
  },

  cart() {
    const cart = loadCart();
    const body = document.getElementById("cart-lines");
    let total = 0;
    cart.forEach((item) => {
      const p = PRODUCTS.find((x) => x.id === item.id);
      if (!p) return;
      total += p.price * item.qty;
      body.append(el("tr", {}, [
        el("td", {}, [el("a", { href: "product.html?id=" + p.id, text: p.name })]),
        el("td", { text: String(item.qty) }),
        el("td", { text: money(p.price * item.qty) }),
      ]));
    });
    document.getElementById("cart-total").textContent = money(total);
    document.getElementById("cart-empty").hidden = cart.length > 0;
    document.getElementById("cart-full").hidden = cart.length === 0;
    document.getElementById("clear-cart").addEventListener("click", () => {
      saveCart([]);
      location.reload();
    });
  },

  checkout() {
    const total = loadCart().reduce((n, item) => {
      const p = PRODUCTS.find((x) => x.id === item.id);
      return n + (p ? p.price * item.qty : 0);
    }, 0);
    document.getElementById("checkout-total").textContent = money(total);
    const form = document.getElementById("checkout-form");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const order = "BO-" + String(Math.floor(10000 + Math.random() * 90000));
      saveCart([]);
      form.hidden = true;
      const done = document.getElementById("confirmation");
      done.hidden = false;
      document.getElementById("order-number").textContent = order;
      document.getElementById("order-name").textContent = form.elements.namedItem("name").value || "friend";
    });
  },

  documents() {
    // What the shop received: each file's name and size, in the page and its title.
    const input = document.getElementById("proof");
    input.addEventListener("change", () => {
      const got = [...input.files].map((f) => f.name + " (" + f.size + " bytes)").join(", ");
      document.getElementById("received").textContent = got ? "Received: " + got : "";
      document.title = got ? "Documents — received " + got : "Beside Outfitters — Documents";
    });
  },

  popup() {
    document.getElementById("open-window").addEventListener("click", () => {
      window.open("product.html?id=2");
    });
  },

  hours() {
    // The shop's hours (Amsterdam) in the visitor's own time zone, languages and clock; the
    // title says the zone and languages too. It looks again every quarter second, as a clock
    // does, so a visitor whose time zone changes sees it change.
    const opening = Date.UTC(2025, 0, 15, 8, 0);
    const closing = Date.UTC(2025, 0, 15, 17, 0);
    const show = () => {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const languages = navigator.languages.join(", ");
      const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
      document.getElementById("hours").textContent = time.format(opening) + " – " + time.format(closing);
      document.getElementById("zone").textContent = zone;
      document.getElementById("languages").textContent = languages;
      document.getElementById("now").textContent = new Date().toLocaleString();
      const title = "Opening hours · " + zone + " · " + languages;
      if (document.title !== title) document.title = title;
    };
    show();
    setInterval(show, 250);
  },

  delivery() {
    // Says what the page took in, the way a shop confirms a form.
    const form = document.getElementById("delivery");
    const summary = document.getElementById("summary");
    const show = () => {
      const extras = [...form.extras.selectedOptions].map((o) => o.value).join("+");
      summary.textContent = [
        "country=" + form.country.value, "extras=" + extras, "city=" + form.city.value,
        "day=" + form.day.value, "ribbon=" + form.ribbon.value,
      ].join(" ");
    };
    form.addEventListener("submit", (e) => e.preventDefault());
    // The title says it too, so that whoever looks at the tab sees what was chosen.
    form.addEventListener("change", () => {
      show();
      document.title = "Delivery · " + summary.textContent;
    });
    show();
  },

  account() {
    // The page asks with the browser's own dialogs, as many shops do; its title says what it
    // took (a renamed list by its length only, so the title never carries what was typed).
    const said = { card: "kept", list: "unchanged", saved: "no" };
    const show = () => {
      document.title = `Account · card=${said.card} list=${said.list} saved=${said.saved}`;
    };
    document.getElementById("remove-card").addEventListener("click", () => {
      said.card = confirm("Remove the saved card ending in 4242?") ? "removed" : "kept";
      show();
    });
    document.getElementById("rename-list").addEventListener("click", () => {
      const name = prompt("A new name for your wish list", "Winter trip");
      if (name !== null) {
        document.getElementById("list-name").textContent = name;
        said.list = `renamed(${name.length})`;
      }
      show();
    });
    document.getElementById("save-list").addEventListener("click", () => {
      alert("Your wish list was saved.");
      said.saved = "yes";
      show();
    });
  },

  long() {
    const toc = document.getElementById("toc");
    const container = document.getElementById("sections");
    const topics = ["Layering basics", "Choosing a rain shell", "Caring for wool", "Packing a day bag", "Breaking in boots", "Socks matter", "Walking in the heat", "Walking in the cold", "Reading the weather", "Repairs on the trail", "Leave no trace", "Planning a route", "Walking with children", "Night walks", "Our favourite trails"];
    for (let n = 1; n <= 30; n++) {
      const topic = topics[(n - 1) % topics.length];
      toc.append(el("li", {}, [el("a", { href: "#section-" + n, text: "Section " + n + ": " + topic })]));
      container.append(el("section", { class: "section", id: "section-" + n }, [
        el("h2", { text: "Section " + n + ": " + topic }),
        el("p", { text: "This is section " + n + " of 30. " + topic + " is a habit worth a few minutes of thought before you set off. Good kit helps, but good habits help more, and both last longer when they are looked after." }),
        el("p", { text: "Tip " + n + ": check the forecast, tell someone where you are going, and carry a little more water than you think you need." }),
      ]));
    }
  },
};

document.addEventListener("DOMContentLoaded", () => {
  updateCartCount();
  const page = document.body.dataset.page;
  if (page && pages[page]) pages[page]();
});
