/**
 * What a client asks a thumbnail for, and the size we actually make or fetch. Requests are
 * snapped up to a short ladder of sizes (the spec lets a thumbnail be larger than asked, and
 * Synapse serves from a fixed list too), so one media item has at most 2 × 5 × 5 cached
 * thumbnails however many sizes a client, or a hostile one, asks for.
 */

export type ThumbnailMethod = 'crop' | 'scale';

export interface ThumbnailRequest {
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
  /** The spec's `animated`: true prefers motion, false forbids it, undefined should avoid it. */
  readonly animated: boolean | undefined;
}

const LADDER = [32, 96, 320, 640, 800] as const;

/** The nearest ladder step at or above `n` (the top step for anything larger). */
function snap(n: number): number {
  return LADDER.find((step) => step >= n) ?? LADDER[LADDER.length - 1];
}

export function snapThumbnail(request: ThumbnailRequest): ThumbnailRequest {
  return { ...request, width: snap(request.width), height: snap(request.height) };
}

/** Content types the spec allows for thumbnails (client-server Thumbnails). */
export const THUMBNAIL_CONTENT_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/apng', 'image/gif', 'image/webp']);
