// A helpdesk's webhook endpoint, written as an integrator would write it with the
// `standardwebhooks` package (not Parley's code): every request is verified — id,
// timestamp and HMAC signature — before it is believed, and each event is kept once by
// its `webhook-id`.
//
//   WEBHOOK_SECRET=whsec_… node webhook-receiver.mjs PORT
//
// Prints one JSON line per request: {"listening": PORT} first, then
// {"id", "verified": true, "duplicate", "event"} or {"verified": false, "error"}.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2]);
const webhook = new Webhook(process.env.WEBHOOK_SECRET);
const seen = new Set();
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let event;
      try {
        event = webhook.verify(body, req.headers);
      } catch (e) {
        print({ verified: false, error: String(e) });
        res.writeHead(400).end();
        return;
      }
      const id = req.headers["webhook-id"];
      print({ id, verified: true, duplicate: seen.has(id), event });
      seen.add(id);
      res.writeHead(204).end();
    });
  })
  .listen(port, "127.0.0.1", () => print({ listening: port }));
