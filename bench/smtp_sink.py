"""A minimal SMTP server that accepts every message and appends it to a file.

    python bench/smtp_sink.py 2525 bench/out/mail.log     (listens on 127.0.0.1 only)

For bench/scan.sh: the application runs with production email settings (an SMTP server, so that
`check --deploy` is clean) without any mail leaving the machine.
"""

import socketserver
import sys


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        for raw in self.rfile:
            command = raw.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif command == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                message = []
                for line in self.rfile:
                    if line in (b".\r\n", b".\n"):
                        break
                    message.append(line.decode(errors="replace"))
                with open(self.server.mailbox, "a", encoding="utf-8") as mailbox:
                    mailbox.write("".join(message) + "\n" + "-" * 72 + "\n")
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP: accept everything
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    port, mailbox = int(sys.argv[1]), sys.argv[2]
    with Server(("127.0.0.1", port), SMTPHandler) as server:
        server.mailbox = mailbox
        server.serve_forever()
