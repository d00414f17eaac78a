//! A minimal keep-alive HTTP/1.1 client: one connection, one request at a time. Enough for
//! Tenantry's own responses (`Content-Length` bodies), and cheap, so the load generator leaves
//! the cores to the server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Connection {
    address: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    pub fn new(address: SocketAddr) -> Connection {
        Connection {
            address,
            stream: None,
            request: Vec::with_capacity(512),
        }
    }

    /// Sends one request, reconnecting first if the server closed the connection.
    /// `authorization` is the whole header value (`Bearer …`, or Cloud Elements' `User …,
    /// Organization …`).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&str>,
    ) -> anyhow::Result<Response> {
        self.request.clear();
        self.request.extend_from_slice(method.as_bytes());
        self.request.push(b' ');
        self.request.extend_from_slice(path.as_bytes());
        self.request
            .extend_from_slice(b" HTTP/1.1\r\nHost: bench\r\n");
        if let Some(authorization) = authorization {
            self.request.extend_from_slice(b"Authorization: ");
            self.request.extend_from_slice(authorization.as_bytes());
            self.request.extend_from_slice(b"\r\n");
        }
        let body = body.unwrap_or("");
        if !body.is_empty() {
            self.request
                .extend_from_slice(b"Content-Type: application/json\r\n");
        }
        self.request
            .extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        self.request.extend_from_slice(body.as_bytes());
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.address).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        match self.exchange().await {
            Ok(response) => Ok(response),
            Err(error) => {
                self.stream = None;
                Err(error)
            }
        }
    }

    async fn exchange(&mut self) -> anyhow::Result<Response> {
        let stream = self.stream.as_mut().context("not connected")?;
        stream.get_mut().write_all(&self.request).await?;
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0_usize;
        let mut close = false;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                bail!("connection closed in the headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse()?;
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    bail!("chunked responses are not expected from Tenantry");
                }
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        if close {
            self.stream = None;
        }
        Ok(Response { status, body })
    }
}
