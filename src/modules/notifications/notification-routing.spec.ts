import { routeOf, Route } from './notification-dispatcher.service';
import { NotificationChannel } from './notification.entity';

const both = { channels: [NotificationChannel.Socket, NotificationChannel.Sms] };
const smsOnly = { channels: [NotificationChannel.Sms] };
const socketOnly = { channels: [NotificationChannel.Socket] };
const phone = '+8613812345678';

describe('routing a socket notification', () => {
  it('online, both channels allowed, with a phone: socket now, SMS if not received in time', () => {
    expect(routeOf(both, phone, true)).toBe(Route.SocketThenSms);
  });
  it('offline: SMS at once instead of waiting', () => {
    expect(routeOf(both, phone, false)).toBe(Route.SmsNow);
  });
  it('SMS only: SMS directly, online or not', () => {
    expect(routeOf(smsOnly, phone, true)).toBe(Route.SmsNow);
    expect(routeOf(smsOnly, phone, false)).toBe(Route.SmsNow);
  });
  it('socket only: never an SMS, online or not', () => {
    expect(routeOf(socketOnly, phone, true)).toBe(Route.SocketOnly);
    expect(routeOf(socketOnly, phone, false)).toBe(Route.SocketOnly);
  });
  it('no phone number: the socket (and the list) is all there is, whatever the preferences say', () => {
    expect(routeOf(both, null, false)).toBe(Route.SocketOnly);
    expect(routeOf(smsOnly, null, false)).toBe(Route.SocketOnly);
  });
});
