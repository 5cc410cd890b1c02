/* Drives the IOC at $a3: reads 2 blocks from LBA 2 into a buffer, prints the device's size,
 * block size, the transfer status and a checksum, inverts the buffer and writes it to LBA 5. */
#include "bm.h"

enum { BUFFER, LBA, COUNT, OP, STATUS, IRQ_ENABLE, SIZE, BLOCK_SIZE, BUFFER_EXT };
enum { OP_READ = 1, OP_WRITE = 2, STATUS_BUSY = 1 };

static unsigned buf[256] __attribute__((aligned(64)));

static unsigned transfer(volatile unsigned *ioc, unsigned op, unsigned lba, unsigned ext)
{
    unsigned s;
    ioc[BUFFER] = (unsigned)buf;
    ioc[BUFFER_EXT] = ext;
    ioc[LBA] = lba;
    ioc[COUNT] = sizeof buf / 512;
    ioc[OP] = op;
    while ((s = ioc[STATUS]) == STATUS_BUSY)
        ;
    return s;
}

int bm_main(int gid, int idx, unsigned ext, volatile unsigned *ioc)
{
    unsigned sum = 0;
    bm_kv("size", ioc[SIZE]);
    bm_kv("block", ioc[BLOCK_SIZE]);
    bm_kv("read", transfer(ioc, OP_READ, 2, ext));
    for (unsigned i = 0; i < 256; i++)
        sum = sum * 31 + buf[i];
    bm_kv("first", buf[0]);
    bm_kv("sum", sum);
    for (unsigned i = 0; i < 256; i++)
        buf[i] = ~buf[i];
    bm_kv("write", transfer(ioc, OP_WRITE, 5, ext));
    bm_kv("status", ioc[STATUS]);
    bm_flush();
    return 0;
}
