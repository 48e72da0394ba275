package io.myxi.bench.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcParsingTest {
    @Test
    void cpuTicksFromStatEvenWithSpacesAndParensInTheName() {
        String stat = "4242 (java) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1500 250 0 0 20 0 40 0 12345678 4000000000 50000 "
                + "18446744073709551615 1 1 0 0 0 0 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0";
        assertThat(ProcFs.parseCpuTicks(stat)).isEqualTo(1750);
        String odd = "77 (my (odd) cmd) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 100 0 0";
        assertThat(ProcFs.parseCpuTicks(odd)).isEqualTo(10);
        assertThat(ProcFs.parseSystemTicks(stat)).isEqualTo(250);
        assertThat(ProcFs.parseSystemTicks(odd)).isEqualTo(3);
    }

    @Test
    void brokerPidFromRabbitmqctlEval() {
        assertThat(RabbitCtl.parseErlangPid("\"2959\"\n")).isEqualTo(2959);
        assertThat(RabbitCtl.parseErlangPid("Error: unable to perform an operation on node")).isEqualTo(-1);
        assertThat(RabbitCtl.parseErlangPid("")).isEqualTo(-1);
    }

    @Test
    void machineTicksFromProcStat() {
        String stat = "cpu  100 5 50 1000 20 3 2 10 0 0\ncpu0 50 2 25 500 10 1 1 5 0 0\nintr 1 2 3\n";
        long[] t = ProcFs.parseMachineTicks(stat);
        assertThat(t[0]).isEqualTo(100 + 5 + 50 + 3 + 2 + 10);
        assertThat(t[1]).isEqualTo(170 + 1000 + 20);
    }

    @Test
    void statusKbFields() {
        String status = "Name:\tjava\nVmPeak:\t 5000000 kB\nVmHWM:\t  300000 kB\nVmRSS:\t  212992 kB\nThreads:\t40\n";
        assertThat(ProcFs.parseStatusKb(status, "VmRSS")).isEqualTo(212992);
        assertThat(ProcFs.parseStatusKb(status, "VmHWM")).isEqualTo(300000);
        assertThat(ProcFs.parseStatusKb(status, "VmSwap")).isEqualTo(-1);
        assertThat(ProcFs.parseStatusKb("MemTotal:       24589892 kB\n", "MemTotal")).isEqualTo(24589892);
    }

    @Test
    void heapInfoOfEachCollector() {
        String g1 = " garbage-first heap   total 397312K, used 17618K [0x0000000687400000, 0x0000000800000000)\n"
                + "  region size 4096K, 4 young (16384K), 0 survivors (0K)\n"
                + " Metaspace       used 8916K, committed 9088K, reserved 1114112K\n";
        assertThat(HeapInfo.parseUsedBytes(g1)).isEqualTo(17618L * 1024);
        String parallel = " PSYoungGen      total 113152K, used 19458K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)\n"
                + "  eden space 97280K, 20% used [0x0000000782700000,0x0000000783a00820,0x0000000788600000)\n"
                + " ParOldGen       total 258048K, used 100K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)\n"
                + " Metaspace       used 8949K, committed 9088K, reserved 1114112K\n";
        assertThat(HeapInfo.parseUsedBytes(parallel)).isEqualTo((19458L + 100) * 1024);
        String serial = " def new generation   total 116160K, used 20659K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)\n"
                + "  eden space 103296K,  20% used [0x0000000687400000, 0x000000068882cec8, 0x000000068d8e0000)\n"
                + " tenured generation   total 258048K, used 1K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)\n";
        assertThat(HeapInfo.parseUsedBytes(serial)).isEqualTo((20659L + 1) * 1024);
        String z = " ZHeap           used 50M, capacity 378M, max capacity 6028M\n Metaspace       used 8942K, committed 9088K\n";
        assertThat(HeapInfo.parseUsedBytes(z)).isEqualTo(50L * 1024 * 1024);
        assertThat(HeapInfo.parseUsedBytes("no such thing\n")).isEqualTo(-1);
    }

    @Test
    void rabbitmqctlCounts() {
        String bindings = "\tamq.gen-A\tamq.gen-A\n" // the default exchange's implicit binding
                + "widgets\tamq.gen-A\tbench-1-all\n"
                + "widgets\tamq.gen-A\tbench-1-c7\n"
                + "widgets\tamq.gen-B\tother-key\n"
                + "users\tamq.gen-A\tbench-1-x\n";
        Map<String, Long> m = RabbitCtl.countBindings(bindings, "widgets", "bench-1-");
        assertThat(m).containsEntry("bindings_on_exchange", 3L).containsEntry("bindings_this_run", 2L)
                .containsEntry("queues_bound_this_run", 1L);
        assertThat(RabbitCtl.countBindings(bindings, "widgets", "bench-1-c")).containsEntry("bindings_this_run", 1L);
        assertThat(RabbitCtl.countQueues("amq.gen-A\t1\namq.gen-B\t0\n\n")).isEqualTo(2);
    }
}
