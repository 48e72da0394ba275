package io.myxi.server.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Arrays;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.TextFrame;
import org.junit.jupiter.api.Test;

/** {@link MyxiDraft#textFrame} against the library's own encoding, at each length-field boundary. */
class TextFrameTest {
  @Test
  void text_frames_are_the_bytes_the_library_makes_and_are_counted_as_queued() {
    MyxiDraft draft = new MyxiDraft(1 << 20, new HttpDate(Clock.systemUTC()));
    Draft_6455 library = new Draft_6455();
    long queued = 0;
    for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 70_000}) {
      byte[] payload = new byte[length];
      Arrays.fill(payload, (byte) 'x');
      if (length > 0) {
        payload[length - 1] = (byte) 0xC3; // any byte: framing does not look at the payload
      }
      TextFrame frame = new TextFrame();
      frame.setPayload(ByteBuffer.wrap(payload));
      frame.setFin(true);

      ByteBuffer ours = draft.textFrame(payload);

      assertThat(ours).as("length %d", length).isEqualTo(library.createBinaryFrame(frame));
      queued += ours.remaining();
      assertThat(draft.queuedBytes()).isEqualTo(queued);
    }
  }
}
