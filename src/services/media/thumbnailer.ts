import type { Logger } from '../logger.js';
import type { ThumbnailRequest } from './thumbnail-size.js';

/**
 * Thumbnails of raster images with sharp (libvips): PNG, JPEG, GIF (first frame) and WebP, scaled
 * to fit or cropped to fill per the spec's `method`. The format is read from the bytes, never
 * from the uploader's Content-Type, and only those four reach the decoder (libvips would also
 * open SVG, TIFF, PDF ...: more attack surface than a thumbnail is worth). sharp is loaded on
 * first use; without it (a platform it has no binaries for) images are their own thumbnails.
 */

type Sharp = typeof import('sharp').default;

export type ThumbnailOutcome =
  | { readonly kind: 'made'; readonly bytes: Uint8Array; readonly contentType: string; readonly width: number; readonly height: number }
  /** Already no larger than asked (or no image library): serve the image itself. */
  | { readonly kind: 'original' }
  /** Not an image we decode, or a broken one. */
  | { readonly kind: 'unsupported' }
  /** More pixels than we are willing to decode. */
  | { readonly kind: 'too-large' };

/** Synapse's max_image_pixels default: decoding costs memory in proportion to this. */
export const MAX_IMAGE_PIXELS = 32_000_000;

type Format = 'png' | 'jpeg' | 'gif' | 'webp';

export class Thumbnailer {
  private sharp: Promise<Sharp | undefined> | undefined;

  constructor(private readonly log: Logger) {}

  async make(bytes: Uint8Array, request: ThumbnailRequest): Promise<ThumbnailOutcome> {
    const format = sniffFormat(bytes);
    if (!format) return { kind: 'unsupported' };
    const sharp = await this.load();
    if (!sharp) return { kind: 'original' };
    let width: number;
    let height: number;
    let animated: boolean;
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      if (!meta.width || !meta.height) return { kind: 'unsupported' };
      // EXIF orientations 5-8 turn the image a quarter: what the viewer sees is swapped.
      const turned = (meta.orientation ?? 1) >= 5;
      width = turned ? meta.height : meta.width;
      height = turned ? meta.width : meta.height;
      animated = (meta.pages ?? 1) > 1;
    } catch {
      return { kind: 'unsupported' };
    }
    if (width * height > MAX_IMAGE_PIXELS) return { kind: 'too-large' };
    const motionAllowed = request.animated === true || !animated;
    if (width <= request.width && height <= request.height && motionAllowed) return { kind: 'original' };

    try {
      let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, animated: false, failOn: 'error' }).rotate();
      pipeline =
        request.method === 'scale'
          ? pipeline.resize({ width: request.width, height: request.height, fit: 'inside', withoutEnlargement: true })
          : pipeline.resize({ width: request.width, height: request.height, fit: 'cover', position: 'centre' });
      pipeline = format === 'jpeg' ? pipeline.jpeg({ quality: 80 }) : pipeline.png();
      const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
      return {
        kind: 'made',
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png',
        width: info.width,
        height: info.height,
      };
    } catch (err) {
      this.log.debug({ err }, 'thumbnail generation failed');
      return { kind: 'unsupported' };
    }
  }

  private load(): Promise<Sharp | undefined> {
    this.sharp ??= import('sharp').then(
      (module) => module.default,
      (err: unknown) => {
        this.log.warn({ err }, 'sharp is not available: images are served as their own thumbnails');
        return undefined;
      },
    );
    return this.sharp;
  }
}

/** The raster format by magic number, for the four formats we decode. */
export function sniffFormat(bytes: Uint8Array): Format | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'webp';
  return undefined;
}
