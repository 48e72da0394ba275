package io.myxi.server.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.java_websocket.drafts.Draft;
import org.java_websocket.enums.Role;
import org.java_websocket.exceptions.IncompleteHandshakeException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.Handshakedata;
import org.junit.jupiter.api.Test;

/** The node reads a request exactly as the library does, without the library's regular expressions. */
class HandshakeParseTest {
  private static final String BROWSER = "GET /ws?token=a%20b HTTP/1.1\r\n"
      + "Host: 127.0.0.1:8080\r\n"
      + "Connection: Upgrade\r\n"
      + "Upgrade: websocket\r\n"
      + "Origin: http://localhost:3000\r\n"
      + "Sec-WebSocket-Version: 13\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      + "\r\n";

  @Test
  void reads_requests_as_the_library_does() throws Exception {
    List<String> requests = List.of(
        BROWSER,
        BROWSER + "\u0081\u0085extra frame bytes after the request",
        "get / http/1.1\r\nA:b\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Spaces:    four\r\nX-Tab:\ttab\r\nX-Empty:\r\nX-Only-Spaces:   \r\nX-Colons: a:b:c\r\n\r\n",
        "GET / HTTP/1.1\r\nCookie: a=1\r\ncookie:  b=2\r\nCOOKIE:c=3\r\n\r\n",
        "GET / HTTP/1.1\r\n: no name\r\nTrailing-Space: v \r\n\r\n");
    for (String request : requests) {
      ClientHandshake ours = (ClientHandshake) parse(request);
      ByteBuffer theirsBuffer = buffer(request);
      ClientHandshake theirs = (ClientHandshake) Draft.translateHandshakeHttp(theirsBuffer, Role.SERVER);
      assertThat(ours.getResourceDescriptor()).isEqualTo(theirs.getResourceDescriptor());
      assertThat(fields(ours)).as(request).isEqualTo(fields(theirs));
      ByteBuffer oursBuffer = buffer(request);
      newDraft().translateHandshake(oursBuffer);
      assertThat(oursBuffer.position()).as("frames after the request start where the library's do").isEqualTo(theirsBuffer.position());
    }
  }

  @Test
  void incomplete_requests_ask_for_more_bytes_as_the_library_does() {
    for (String partial : List.of("GET / HT", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a")) {
      IncompleteHandshakeException ours = catchIncomplete(() -> parse(partial));
      IncompleteHandshakeException theirs = catchIncomplete(() -> Draft.translateHandshakeHttp(buffer(partial), Role.SERVER));
      assertThat(ours.getPreferredSize()).as(partial).isEqualTo(theirs.getPreferredSize());
    }
  }

  @Test
  void refuses_what_the_library_refuses_without_echoing_client_text() {
    for (String bad : List.of("POST /secret HTTP/1.1\r\n\r\n", "GET / HTTP/1.0\r\n\r\n", "GET /\r\n\r\n", "GET /a secret HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nno colon here\r\n\r\n")) {
      assertThatThrownBy(() -> Draft.translateHandshakeHttp(buffer(bad), Role.SERVER)).isInstanceOf(InvalidHandshakeException.class)
          .isNotInstanceOf(IncompleteHandshakeException.class);
      assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidHandshakeException.class).isNotInstanceOf(IncompleteHandshakeException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret", "POST", "1.0", "no colon"));
    }
  }

  private static Handshakedata parse(String request) throws InvalidHandshakeException {
    return newDraft().translateHandshake(buffer(request));
  }

  private static MyxiDraft newDraft() {
    MyxiDraft draft = (MyxiDraft) new MyxiDraft(1 << 16, new HttpDate(java.time.Clock.systemUTC())).copyInstance();
    draft.setParseMode(Role.SERVER);
    return draft;
  }

  private static ByteBuffer buffer(String request) {
    return ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static List<String> fields(Handshakedata handshake) {
    List<String> fields = new ArrayList<>();
    for (Iterator<String> names = handshake.iterateHttpFields(); names.hasNext(); ) {
      String name = names.next();
      fields.add(name + "=" + handshake.getFieldValue(name));
    }
    return fields;
  }

  private interface Parse {
    void run() throws Exception;
  }

  private static IncompleteHandshakeException catchIncomplete(Parse parse) {
    try {
      parse.run();
    } catch (IncompleteHandshakeException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected an incomplete handshake, got " + e, e);
    }
    throw new AssertionError("expected an incomplete handshake");
  }
}
