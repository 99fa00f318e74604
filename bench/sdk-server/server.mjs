// SPDX-License-Identifier: Apache-2.0
// The official SDK's negotiate server, as the Web PubSub samples write it (express +
// WebPubSubServiceClient.getClientAccessToken), with the API-key check negotiated does (a
// SHA-256 digest compared in constant time) so bench/run compares the same work.
// Environment: PORT, CONNECTION_STRING, HUB, API_KEY, USER_ID, TOKEN_ROLES and TOKEN_GROUPS (space separated).
import { createHash, timingSafeEqual } from "node:crypto";
import express from "express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const env = (name) => {
  if (!process.env[name]) throw new Error(`sdk-server: ${name} is not set`);
  return process.env[name];
};
const words = (name) => (process.env[name] || "").split(" ").filter(Boolean);
const digest = (text) => createHash("sha256").update(text).digest();

const serviceClient = new WebPubSubServiceClient(env("CONNECTION_STRING"), env("HUB"));
const keyDigest = digest(env("API_KEY"));
const userId = env("USER_ID");
const roles = words("TOKEN_ROLES");
const groups = words("TOKEN_GROUPS");

const app = express();
app.get("/negotiate", async (req, res) => {
  const presented = req.get("X-API-Key");
  if (!presented || !timingSafeEqual(digest(presented), keyDigest)) {
    res.status(401).json({ error: "unauthorized" });
    return;
  }
  const token = await serviceClient.getClientAccessToken({ userId, roles, groups });
  res.set("Cache-Control", "no-store").json(token); // {baseUrl, url, token}, as negotiated answers
});
app.listen(Number(env("PORT")), "127.0.0.1");
