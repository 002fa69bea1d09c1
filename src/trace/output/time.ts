// time(fmt): strftime over local time, as bpftrace 0.17 does (default format "%H:%M:%S\n").
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];

export const DEFAULT_TIME_FORMAT = '%H:%M:%S\n';

const two = (n: number) => n.toString().padStart(2, '0');

/** C strftime in the C locale for the common conversions; unknown ones are kept as written. */
export function strftime(format: string, date: Date): string {
  return format.replace(/%([a-zA-Z%])/g, (whole, c: string) => {
    switch (c) {
      case 'Y': return date.getFullYear().toString();
      case 'y': return two(date.getFullYear() % 100);
      case 'C': return two(Math.floor(date.getFullYear() / 100));
      case 'm': return two(date.getMonth() + 1);
      case 'd': return two(date.getDate());
      case 'e': return date.getDate().toString().padStart(2, ' ');
      case 'H': return two(date.getHours());
      case 'I': return two(date.getHours() % 12 || 12);
      case 'M': return two(date.getMinutes());
      case 'S': return two(date.getSeconds());
      case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
      case 'a': return DAYS[date.getDay()]!.slice(0, 3);
      case 'A': return DAYS[date.getDay()]!;
      case 'b': case 'h': return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B': return MONTHS[date.getMonth()]!;
      case 'j': {
        const start = new Date(date.getFullYear(), 0, 1);
        const day = Math.round((new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() - start.getTime()) / 86400000) + 1;
        return day.toString().padStart(3, '0');
      }
      case 'u': return (date.getDay() || 7).toString();
      case 'w': return date.getDay().toString();
      case 's': return Math.floor(date.getTime() / 1000).toString();
      case 'D': return `${two(date.getMonth() + 1)}/${two(date.getDate())}/${two(date.getFullYear() % 100)}`;
      case 'F': return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
      case 'T': return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
      case 'R': return `${two(date.getHours())}:${two(date.getMinutes())}`;
      case 'z': {
        const off = -date.getTimezoneOffset();
        const a = Math.abs(off);
        return (off >= 0 ? '+' : '-') + two(Math.floor(a / 60)) + two(a % 60);
      }
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return whole;
    }
  });
}
